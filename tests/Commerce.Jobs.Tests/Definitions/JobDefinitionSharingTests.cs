using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.Definitions.JobDefinitionTests;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>Overrides kept in the operator-state plane: shared by the engines on one store, kept across a restart, stale ones ignored at start.</summary>
public sealed class JobDefinitionSharingTests
{
    [Fact]
    public async Task Two_engines_on_one_store_take_up_each_others_change_after_a_refresh()
    {
        var store = new InMemoryJobStore();
        var time = new FakeTimeProvider(TestEngine.Start);
        await using var a = Create(store, time);
        await using var b = Create(store, time);

        await DefinitionsOf(a).UpdateAsync("export", Set(JobDefinitionFields.BatchSize, "500"), null, "alice", default);
        await Eventually(() => b.Engine.GetEntry("export").Options.BatchSize == 500, time);
        var seen = DefinitionsOf(b).Get("export");
        Assert.Equal(("500", JobDefinitionSource.Override), (seen[JobDefinitionFields.BatchSize].Value, seen[JobDefinitionFields.BatchSize].Source));
        Assert.Equal("alice", seen.ChangedBy);
        Assert.Equal(DefinitionsOf(a).Get("export").Version, seen.Version);

        // The newest change wins per field: b's later change of another field keeps a's.
        time.Advance(TimeSpan.FromSeconds(1));
        await DefinitionsOf(b).UpdateAsync("export", Set(JobDefinitionFields.Interval, "00:05:00"), null, "bob", default);
        await Eventually(() => a.Engine.GetEntry("export").Options.Interval == TimeSpan.FromMinutes(5), time);
        Assert.Equal(500, a.Engine.GetEntry("export").Options.BatchSize);

        time.Advance(TimeSpan.FromSeconds(1));
        await DefinitionsOf(a).ResetAsync("export", null, "carol", default);
        await Eventually(() => b.Engine.GetEntry("export").Options.BatchSize == 100 && b.Engine.GetEntry("export").Options.Interval == TimeSpan.FromHours(1), time);
        Assert.DoesNotContain(DefinitionsOf(b).Get("export").Fields, f => f.Source == JobDefinitionSource.Override);
    }

    [Fact]
    public async Task A_restart_keeps_the_override_and_a_reset_is_kept_too()
    {
        var store = new InMemoryJobStore();
        await using (var first = Create(store))
        {
            await DefinitionsOf(first).UpdateAsync("export", new Dictionary<string, string?> { [JobDefinitionFields.BatchSize] = "500", [JobDefinitionFields.Interval] = "00:01:00" }, null, null, default);
        }

        await using (var second = Create(store, start: false))
        {
            await DefinitionsOf(second).RestoreAsync(default);
            second.Engine.Start();
            Assert.Equal(500, second.Engine.GetEntry("export").Options.BatchSize);
            Assert.Equal(JobDefinitionSource.Override, DefinitionsOf(second).Get("export")[JobDefinitionFields.Interval].Source);
            await second.Observer.WaitForAsync(() => second.Engine.GetStatus("export").NextFireTime == TestEngine.Start.AddMinutes(1));
            await DefinitionsOf(second).UpdateAsync("export", Set(JobDefinitionFields.BatchSize, null), null, null, default);
        }

        await using var third = Create(store, start: false);
        await DefinitionsOf(third).RestoreAsync(default);
        Assert.Equal(100, third.Engine.GetEntry("export").Options.BatchSize);
        Assert.Equal(TimeSpan.FromMinutes(1), third.Engine.GetEntry("export").Options.Interval);
    }

    [Fact]
    public async Task At_start_an_unknown_jobs_override_is_kept_and_ignored_and_one_that_no_longer_validates_is_ignored()
    {
        var store = new InMemoryJobStore();
        var at = TestEngine.Start.AddDays(-1);
        await store.SetAsync(OperatorStateKinds.JobDefinition, "retired-job", [new OperatorStateField(JobDefinitionFields.BatchSize, "10", at)], default);
        await store.SetAsync(
            OperatorStateKinds.JobDefinition,
            "export",
            [
                new OperatorStateField(JobDefinitionFields.BatchSize, "0", at),
                new OperatorStateField(JobDefinitionFields.MaxConcurrency, "3", at),
                new OperatorStateField(JobDefinitionFields.Interval, "soon", at),
                new OperatorStateField("a-later-versions-field", "x", at),
            ],
            default);

        await using var sut = Create(store, start: false);
        await DefinitionsOf(sut).RestoreAsync(default);
        sut.Engine.Start();

        var options = sut.Engine.GetEntry("export").Options;
        Assert.Equal((100, 3, TimeSpan.FromHours(1)), (options.BatchSize, options.MaxConcurrency, options.Interval));
        var definition = DefinitionsOf(sut).Get("export");
        Assert.Equal(JobDefinitionSource.Code, definition[JobDefinitionFields.BatchSize].Source);
        Assert.Equal(JobDefinitionSource.Override, definition[JobDefinitionFields.MaxConcurrency].Source);
        Assert.Contains(await store.GetAsync(OperatorStateKinds.JobDefinition, default), e => e.Name == "retired-job");
    }

    private static TestEngine Create(IJobStore store, FakeTimeProvider? time = null, bool start = true) => TestEngine.Create(
        jobs => jobs.AddJob("export", Ok).Schedule(Schedule.Every(TimeSpan.FromHours(1))),
        time: time,
        services: s => s.AddSingleton(store),
        start: start);

    /// <summary>Waits for a condition that the refresh makes true, advancing the clock by the refresh interval each time (bounded).</summary>
    private static async Task Eventually(Func<bool> condition, FakeTimeProvider time)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 6000, "the condition was not reached");
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(5);
        }
    }
}
