using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.EntitySync;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs.Tests.Hosting;

/// <summary>
/// Stopping a real host returns whatever a job or a target does: the engine and entity sync stop together, each
/// bounded by <see cref="CommerceJobsOptions.ShutdownTimeout"/> and a last second (system clock; only the outcome is asserted).
/// </summary>
public sealed class HostShutdownTests
{
    // A generous bound that only prevents a hang: the stop itself takes about ShutdownTimeout + 1 s.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StopAsync_returns_although_a_job_and_an_entity_sync_target_ignore_cancellation()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var jobStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deliveryStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var search = new RecordingTarget("search")
        {
            BeforeDeliver = async _ =>
            {
                deliveryStarted.TrySetResult();
                await release.Task; // ignores cancellation
            },
        };

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Services.AddLogging();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
            jobs.AddTarget(search);
            jobs.AddEntitySync("categories").DeliverTo("search");
            jobs.AddJob("upload", async (_, _) =>
            {
                jobStarted.TrySetResult();
                await release.Task; // ignores cancellation
                return JobResult.Success;
            });
        });

        using var host = builder.Build();
        try
        {
            await host.StartAsync(CancellationToken.None).WaitAsync(Patience);
            host.Services.GetRequiredService<IJobTrigger>().Trigger("upload");
            await host.Services.GetRequiredService<IEntitySync>().PublishAsync(EntityChange.Upsert("categories", "c1", "shoes", 1), CancellationToken.None);
            await Task.WhenAll(jobStarted.Task, deliveryStarted.Task).WaitAsync(Patience);

            await host.StopAsync(CancellationToken.None).WaitAsync(Patience);

            var run = Assert.Single(await host.Services.GetRequiredService<IJobMonitor>().GetRunsAsync("upload", 10, CancellationToken.None));
            Assert.Equal(JobOutcome.Cancelled, run.Outcome);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task StopAsync_and_DisposeAsync_return_although_the_operator_state_refresh_is_stuck_in_a_store_whose_cancellation_blocks()
    {
        var (store, hang) = HangingStore.Create(new InMemoryJobStore());
        var time = new WatchedTimeProvider(EntitySyncSut.Start);
        var refresh = TimeSpan.FromSeconds(5);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5)); // the engine and entity sync bound the stop, not the host
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.UseStore(_ => store);
            jobs.Configure(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(3);
                o.ControlRefreshInterval = refresh;
            });
            jobs.AddTarget(new RecordingTarget("search"));
            jobs.AddEntitySync("categories").DeliverTo("search");
            jobs.AddJob("upload", (_, _) => ValueTask.FromResult(JobResult.Success));
        });

        var host = builder.Build();
        using (hang)
        {
            await host.StartAsync(CancellationToken.None).WaitAsync(Patience);

            // The one refresh (job controls, then entity-sync configurations) reads the store when the host stops, and the read does not end.
            var engineHeld = hang.Hold(StoreCall.GetJobControls);
            await time.WhenArmedAsync(refresh, 1);
            time.Advance(refresh);
            await engineHeld;

            await AdvanceUntilAsync(time, host.StopAsync(CancellationToken.None));
            await AdvanceUntilAsync(time, ((IAsyncDisposable)host).DisposeAsync().AsTask());
        }
    }

    /// <summary>Drives the fake clock in small steps until <paramref name="task"/> completes (the real-time bound only prevents a hang).</summary>
    private static async Task AdvanceUntilAsync(WatchedTimeProvider time, Task task)
    {
        var deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (!task.IsCompleted && Environment.TickCount64 < deadline)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        await task.WaitAsync(Patience);
    }
}
