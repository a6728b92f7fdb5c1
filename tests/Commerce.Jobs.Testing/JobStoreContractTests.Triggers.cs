namespace Commerce.Jobs.Testing;

/// <summary>Every trigger kind a run can record, the newest included, comes back as it was written.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task Every_trigger_kind_round_trips()
    {
        var store = await CreateStoreAsync();
        var kinds = Enum.GetValues<TriggerKind>();
        for (var i = 0; i < kinds.Length; i++)
        {
            await store.AddRunAsync(
                new JobRun
                {
                    RunId = Guid.CreateVersion7(T0.AddMinutes(i)),
                    JobName = "order-import",
                    Trigger = kinds[i],
                    HostName = "web-01",
                    StartedAt = T0.AddMinutes(i),
                    EndedAt = T0.AddMinutes(i).AddSeconds(1),
                    Outcome = JobOutcome.Succeeded,
                    Log = [],
                },
                default);
        }

        var runs = await store.GetRunsAsync("order-import", kinds.Length + 1, default);

        Assert.Contains(TriggerKind.Queued, kinds);
        Assert.Equal(kinds, runs.Reverse().Select(r => r.Trigger));
    }
}
