using System.Threading.Channels;
using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>Pause, resume, enable and disable are kept in the store and restored at start, the newest change winning.</summary>
public sealed class JobControlPersistenceTests
{
    [Fact]
    public async Task Operator_changes_reach_the_store_in_order_and_a_new_engine_restores_them()
    {
        var store = new InMemoryJobStore();
        await using (var first = Create(store))
        {
            first.Engine.Pause("export");
            first.Engine.Resume("export");
            first.Engine.Pause("export");
            first.Engine.Disable("refresh");
        }

        var controls = (await store.GetJobControlsAsync(default)).ToDictionary(c => c.JobName);
        // Three changes of one job at one instant are stamped a microsecond apart, so the last is the newest everywhere.
        Assert.Equal(new JobControl("export", Paused: true, Disabled: false, TestEngine.Start.AddTicks(20)), controls["export"]);
        Assert.Equal(new JobControl("refresh", Paused: false, Disabled: true, TestEngine.Start), controls["refresh"]);

        await using var second = Create(store, start: false);
        await second.Engine.RestoreControlsAsync(default);
        second.Engine.Start();
        Assert.Equal(JobState.Paused, second.Engine.GetStatus("export").State);
        Assert.Equal(JobState.Disabled, second.Engine.GetStatus("refresh").State);
        Assert.Equal(JobState.Idle, second.Engine.GetStatus("report").State);
    }

    [Fact]
    public async Task A_change_made_here_after_the_stored_one_wins_and_an_older_one_loses()
    {
        var store = new InMemoryJobStore();
        await store.SetJobControlAsync(new JobControl("export", Paused: true, Disabled: false, TestEngine.Start.AddHours(-1)), default);
        await store.SetJobControlAsync(new JobControl("refresh", Paused: true, Disabled: false, TestEngine.Start.AddHours(1)), default);
        await using var sut = Create(store, start: false);

        sut.Engine.Resume("export");        // at TestEngine.Start: newer than the stored pause
        sut.Engine.Resume("refresh");       // older than the stored pause (another host's later change)
        await sut.Engine.RestoreControlsAsync(default);

        Assert.Equal(JobState.Idle, sut.Engine.GetStatus("export").State);
        Assert.Equal(JobState.Paused, sut.Engine.GetStatus("refresh").State);
    }

    [Fact]
    public async Task A_job_disabled_in_configuration_stays_disabled_until_an_operator_enables_it()
    {
        var store = new InMemoryJobStore();
        await using (var first = Create(store, start: false, disableReport: true))
        {
            await first.Engine.RestoreControlsAsync(default);
            Assert.Equal(JobState.Disabled, first.Engine.GetStatus("report").State);
            first.Engine.Start();
            first.Engine.Enable("report");
        }

        await using var second = Create(store, start: false, disableReport: true);
        await second.Engine.RestoreControlsAsync(default);
        Assert.Equal(JobState.Idle, second.Engine.GetStatus("report").State);
    }

    [Fact]
    public async Task A_change_on_one_engine_reaches_another_running_on_the_same_store_within_the_refresh_interval()
    {
        var store = new InMemoryJobStore();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestEngine.Start);
        await using var first = Create(store, time: time);
        await using var second = Create(store, time: time);

        first.Engine.Pause("export");
        first.Engine.Disable("refresh");
        await Eventually(async () => (await store.GetJobControlsAsync(default)).Count == 2, time: null);
        await Eventually(() => Task.FromResult(second.Engine.GetStatus("export").State == JobState.Paused && second.Engine.GetStatus("refresh").State == JobState.Disabled), time);

        time.Advance(TimeSpan.FromMinutes(1));
        second.Engine.Resume("export");
        await Eventually(() => Task.FromResult(first.Engine.GetStatus("export").State != JobState.Paused), time);
        Assert.Equal(JobState.Disabled, first.Engine.GetStatus("refresh").State);
    }

    [Fact]
    public async Task Two_engines_on_one_store_keep_a_pause_and_a_disable_made_on_each_even_out_of_order()
    {
        // Host A pauses at t1, host B disables at t2 from the state it read before; B's write reaches the store first.
        var inner = new InMemoryJobStore();
        var saved = Channel.CreateUnbounded<string>();
        var a = Create(Saving(inner, saved, "a"), time: new FakeTimeProvider(TestEngine.Start.AddSeconds(1)));
        var b = Create(Saving(inner, saved, "b"), time: new FakeTimeProvider(TestEngine.Start.AddSeconds(2)));
        await using (a)
        await using (b)
        {
            b.Engine.Disable("export");
            Assert.Equal("b", await saved.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            a.Engine.Pause("export");
            Assert.Equal("a", await saved.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

            await a.Engine.RestoreControlsAsync(default);
            await b.Engine.RestoreControlsAsync(default);

            var stored = Assert.Single(await inner.GetJobControlsAsync(default));
            Assert.True(stored.Paused && stored.Disabled);
            Assert.Equal(JobState.Disabled, a.Engine.GetStatus("export").State);
            Assert.Equal(JobState.Disabled, b.Engine.GetStatus("export").State);

            // Paused under the disable on both: enabled, each is still paused.
            a.Engine.Enable("export");
            b.Engine.Enable("export");
            Assert.Equal(JobState.Paused, a.Engine.GetStatus("export").State);
            Assert.Equal(JobState.Paused, b.Engine.GetStatus("export").State);
        }
    }

    /// <summary>A store whose job-control writes say, once stored, which host made them.</summary>
    private static IJobStore Saving(InMemoryJobStore inner, Channel<string> saved, string host)
    {
        return InterceptingStore.Create(inner, (method, args) =>
            method == StoreCall.SetJobControls
                ? new ValueTask(SaveAsync((string)args![0]!, (string)args[1]!, (IReadOnlyList<OperatorStateField>)args[2]!))
                : null);

        async Task SaveAsync(string kind, string name, IReadOnlyList<OperatorStateField> fields)
        {
            await inner.SetAsync(kind, name, fields, CancellationToken.None);
            saved.Writer.TryWrite(host);
        }
    }

    /// <summary>Waits for a condition that background work makes true, advancing the clock by the refresh interval each time (bounded).</summary>
    private static async Task Eventually(Func<Task<bool>> condition, Microsoft.Extensions.Time.Testing.FakeTimeProvider? time)
    {
        for (var i = 0; !await condition(); i++)
        {
            Assert.True(i < 6000, "the condition was not reached");
            time?.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(5);
        }
    }

    private static TestEngine Create(IJobStore store, bool start = true, bool disableReport = false, Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null) => TestEngine.Create(
        jobs =>
        {
            jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJob("refresh", static (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJob("report", static (_, _) => ValueTask.FromResult(JobResult.Success)).Configure(o => o.Enabled = !disableReport);
        },
        time: time,
        services: s => s.AddSingleton(store),
        start: start);
}
