using Commerce.Jobs.EntitySync;
using Commerce.Jobs.History;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.EntitySync;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs.Tests.Internal;

/// <summary>One refresh of the operator state: one timer, each kind read once per pass, every kind's entries applied by its applier.</summary>
public sealed class OperatorStateRefresherTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(13);

    [Fact]
    public async Task A_host_refreshes_job_controls_and_entity_sync_configurations_in_one_pass_of_one_timer()
    {
        var store = new InMemoryJobStore();
        var time = new WatchedTimeProvider(EntitySyncSut.Start);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.UseStore(_ => store);
            jobs.Configure(o => o.ControlRefreshInterval = Refresh);
            jobs.AddTarget(new RecordingTarget("search"));
            jobs.AddEntitySync("categories").DeliverTo("search");
            jobs.AddJob("upload", (_, _) => ValueTask.FromResult(JobResult.Success));
        });

        using var host = builder.Build();
        await host.StartAsync(None).WaitAsync(Patience);
        try
        {
            // Another host pauses the job and the entity sync.
            await time.WhenArmedAsync(Refresh, 1);
            var changedAt = time.GetUtcNow();
            await store.SetJobControlAsync(new JobControl("upload", Paused: true, Disabled: false, changedAt), None);
            await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("categories", new EntitySyncConfiguration { EntityType = "categories", Targets = ["search"], Paused = true }, changedAt), None);

            // One pass (one timer, re-armed once) applies both.
            time.Advance(Refresh);
            await time.WhenArmedAsync(Refresh, 2);

            Assert.Equal(2, time.Armed(Refresh));
            Assert.Equal(JobState.Paused, host.Services.GetRequiredService<IJobMonitor>().GetStatus("upload").State);
            Assert.True((await host.Services.GetRequiredService<IEntitySync>().GetConfigurationAsync("categories", None))!.Paused);
        }
        finally
        {
            await host.StopAsync(None).WaitAsync(Patience);
        }
    }

    [Fact]
    public async Task A_pass_reads_each_kind_once_and_a_kind_that_fails_holds_back_no_other()
    {
        var (store, faults) = FaultyStore.Create(new InMemoryJobStore());
        var failing = new RecordingApplier(OperatorStateKinds.Job, throws: true);
        var jobs = new RecordingApplier(OperatorStateKinds.Job);
        var sync = new RecordingApplier(OperatorStateKinds.EntitySync);
        await store.SetAsync(OperatorStateKinds.EntitySync, "categories", [new OperatorStateField(EntitySyncFields.Paused, "true", EntitySyncSut.Start)], None);
        var refresher = new OperatorStateRefresher(store, () => [failing, jobs, sync], TimeProvider.System);

        // An applier that throws is logged; the next one of its kind, and the other kinds, are applied.
        await refresher.RefreshAsync(None);
        Assert.Equal([1, 1, 1], [failing.Applied, jobs.Applied, sync.Applied]);
        Assert.Equal(1, failing.Failures);
        Assert.Equal("categories", Assert.Single(sync.Entries).Name);

        // A kind the store cannot read is logged by its appliers; the others are applied.
        faults.FailNext(StoreCall.GetJobControls);
        await refresher.RefreshAsync(None);
        Assert.Equal([1, 1, 2], [failing.Applied, jobs.Applied, sync.Applied]);
        Assert.Equal(1, jobs.Failures);
    }

    private sealed class RecordingApplier(string kind, bool throws = false) : IOperatorStateApplier
    {
        public string Kind => kind;

        public int Applied { get; private set; }

        public int Failures { get; private set; }

        public IReadOnlyList<OperatorStateEntry> Entries { get; private set; } = [];

        public Task ApplyAsync(IReadOnlyList<OperatorStateEntry> entries, CancellationToken cancellationToken)
        {
            Applied++;
            Entries = entries;
            return throws ? throw new InvalidOperationException("applier failed") : Task.CompletedTask;
        }

        public void Failed(Exception exception) => Failures++;
    }
}
