namespace Commerce.Jobs.Snippets.Root;

public static class AuditReadme
{
    public static async Task Audit(IJobControl jobControl, IJobMonitor jobMonitor, string user, CancellationToken ct)
    {
        #region readme-audit
        // who paused it, who changed its interval: the job's last changes, newest first
        jobControl.Pause("product-refresh", actor: user);
        foreach (var change in await jobMonitor.GetChangesAsync("product-refresh", limit: 20, ct))
        {
            var values = string.Join(", ", change.Values.Select(v => $"{v.Field}: {v.OldValue} → {v.NewValue}"));
            Console.WriteLine($"{change.ChangedAt:u} {change.ChangedBy ?? "(unknown)"} {change.Action} {values}");
        }
        #endregion
    }
}
