namespace Commerce.Jobs.Snippets.Root;

public static class TargetDefinitionsReadme
{
    public static async Task TargetDefinitions(IJobDefinitions definitions, string user, CancellationToken ct)
    {
        #region readme-target-definitions
        // the ERP is flaky tonight: tolerate more failures, and pause it longer once it breaks
        var erp = definitions.GetTarget("erp");
        await definitions.UpdateTargetAsync(
            "erp",
            new Dictionary<string, string?>
            {
                [TargetDefinitionFields.FailureRatio] = "0.5",        // unhealthy under 50 % success (from the next decision)
                [TargetDefinitionFields.BreakDuration] = "00:05:00",  // the next break lasts 5 minutes
            },
            expectedVersion: erp.Version,
            actor: user,
            ct);

        await definitions.ResetTargetAsync("erp", expectedVersion: null, actor: user, ct);   // back to configuration / code
        #endregion
    }
}
