using System.Reflection;
using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>No failing part (a job's scope, its constructor, a notifier, the store, a status sink) ends a worker or the engine.</summary>
public sealed class JobEngineFaultTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public enum Fault
    {
        ScopedDisposeAsyncThrows,
        ScopedDisposeThrows,
        ConstructorThrows,
    }

    [Theory]
    [InlineData(Fault.ScopedDisposeAsyncThrows)]
    [InlineData(Fault.ScopedDisposeThrows)]
    [InlineData(Fault.ConstructorThrows)]
    public async Task A_run_whose_scope_or_job_throws_is_recorded_failed_its_callers_are_answered_and_the_one_worker_goes_on(Fault fault)
    {
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o => o.MaxConcurrentRuns = 1);
                if (fault == Fault.ConstructorThrows)
                {
                    jobs.AddJob<JobWhoseConstructorThrows>("faulty");
                }
                else
                {
                    jobs.AddJob("faulty", (ctx, _) =>
                    {
                        GC.KeepAlive(fault == Fault.ScopedDisposeAsyncThrows
                            ? ctx.Services.GetRequiredService<AsyncDisposeThrows>()
                            : ctx.Services.GetRequiredService<DisposeThrows>());
                        return ValueTask.FromResult(JobResult.Success);
                    });
                }

                jobs.AddJob("healthy", (_, _) => ValueTask.FromResult(JobResult.Success));
            },
            services: s => s.AddScoped<AsyncDisposeThrows>().AddScoped<DisposeThrows>());

        var awaited = (await Assert.ThrowsAsync<JobRunFailedException>(() => sut.Engine.RunAsync("faulty", null, TimeSpan.FromMinutes(10), CancellationToken.None).WaitAsync(Patience))).Result;
        Assert.Equal(JobOutcome.Failed, awaited.Outcome);
        Assert.Contains("boom", awaited.Error);

        var started = await sut.Engine.Enqueue("faulty", null).Completion.WaitAsync(Patience);
        Assert.Equal(JobOutcome.Failed, started.Outcome);

        // The single worker survived both: another job, and the faulty one again, still run on it.
        sut.Engine.Trigger("healthy");
        await sut.WaitForRunsAsync("healthy", 1);
        sut.Engine.Trigger("faulty");
        await sut.WaitForRunsAsync("faulty", 3);

        var history = await sut.Engine.GetRunsAsync("faulty", 10, CancellationToken.None);
        Assert.Equal(3, history.Count);
        Assert.All(history, r => Assert.Equal(JobOutcome.Failed, r.Outcome));
        Assert.All(history, r => Assert.Contains("boom", r.Error));
        Assert.Equal(3, sut.Engine.GetStatus("faulty").ConsecutiveFailures);
        Assert.NotEqual(JobState.Running, sut.Engine.GetStatus("faulty").State);

        await sut.Engine.StopAsync(CancellationToken.None).WaitAsync(Patience);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task A_throwing_failure_notifier_stops_neither_the_engine_nor_other_jobs()
    {
        var notifier = new ThrowingNotifier();
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o => o.MaxConcurrentRuns = 1);
                jobs.AddJob("order-export", (_, _) => ValueTask.FromResult(JobResult.Failed("ERP refused the login")));
                jobs.AddJob("purge", (_, _) => ValueTask.FromResult(JobResult.Success)).NotifyOnEveryRun();
            },
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        sut.Engine.Trigger("order-export");
        await sut.WaitForRunsAsync("order-export", 1);
        sut.Engine.Trigger("purge");
        await sut.WaitForRunsAsync("purge", 1);
        sut.Engine.Trigger("order-export");
        await sut.WaitForRunsAsync("order-export", 2);
        var handle = sut.Engine.Enqueue("order-export", null);
        Assert.Equal(JobOutcome.Failed, (await handle.Completion.WaitAsync(Patience)).Outcome);
        await sut.NotifiedAsync();

        Assert.True(notifier.Calls >= 4);
        Assert.Equal(3, (await sut.Engine.GetRunsAsync("order-export", 10, CancellationToken.None)).Count);
        await sut.Engine.StopAsync(CancellationToken.None).WaitAsync(Patience);
        await sut.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_store_that_cannot_save_or_purge_runs_stops_neither_the_engine_nor_other_jobs(bool throwsSynchronously)
    {
        var store = FaultyStore.Create(new InMemoryJobStore(), throwsSynchronously, nameof(IJobStore.AddRunAsync), nameof(IJobStore.PurgeRunsAsync));
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.MaxConcurrentRuns = 1);
            jobs.UseStore(_ => store);
            jobs.AddJob("purge", (_, _) => ValueTask.FromResult(JobResult.Success)).KeepHistory(1, TimeSpan.FromDays(1));
            jobs.AddJob("order-export", (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down"))).KeepHistory(1, TimeSpan.FromDays(1));
        });

        for (var i = 1; i <= 3; i++)
        {
            sut.Engine.Trigger("purge");
            await sut.WaitForRunsAsync("purge", i);
            Assert.Equal(JobOutcome.Failed, (await Assert.ThrowsAsync<JobRunFailedException>(() => sut.Engine.RunAsync("order-export", null, TimeSpan.FromMinutes(10), CancellationToken.None).WaitAsync(Patience))).Result.Outcome);
        }

        Assert.Equal(3, sut.Engine.GetStatus("purge").RunCount);
        Assert.Equal(3, sut.Engine.GetStatus("order-export").RunCount);
        await sut.Engine.StopAsync(CancellationToken.None).WaitAsync(Patience);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task Unusable_stored_operator_state_and_a_failed_save_stop_neither_the_restore_nor_the_control_writer()
    {
        var inner = new InMemoryJobStore();
        var saves = 0;
#pragma warning disable CA2012 // Boxed for the proxy's caller, which awaits each once.
        var store = InterceptingStore.Create(inner, (method, args) => method switch
        {
            StoreCall.GetJobControls => new ValueTask<IReadOnlyList<OperatorStateEntry>>(
            [
                null!,
                new OperatorStateEntry(OperatorStateKinds.Job, null!, [new("paused", "true", TestEngine.Start)]),
                new OperatorStateEntry(OperatorStateKinds.Job, "purge", null!),
                new OperatorStateEntry(OperatorStateKinds.Job, "purge", [null!, new("paused", "maybe", TestEngine.Start), new("unknown", "true", TestEngine.Start)]),
                new OperatorStateEntry(OperatorStateKinds.Job, "export", [new("paused", "true", TestEngine.Start), new("disabled", "false", TestEngine.Start)]),
            ]),
            StoreCall.SetJobControls when Interlocked.Increment(ref saves) == 1 => ValueTask.FromException(new IOException("The store is down.")),
            _ => null,
        });
#pragma warning restore CA2012
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.UseStore(_ => store);
                jobs.AddJob("export", (_, _) => ValueTask.FromResult(JobResult.Success));
                jobs.AddJob("purge", (_, _) => ValueTask.FromResult(JobResult.Success));
            },
            start: false);

        await sut.Engine.RestoreControlsAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(JobState.Paused, sut.Engine.GetStatus("export").State);

        sut.Engine.Start();
        sut.Engine.Resume("export");   // its save fails
        sut.Engine.Pause("purge");     // the writer goes on
        await sut.Engine.StopAsync(CancellationToken.None).WaitAsync(Patience);

        var saved = await inner.GetJobControlsAsync(CancellationToken.None);
        Assert.True(Assert.Single(saved, c => c.JobName == "purge").Paused);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task A_record_job_whose_status_sink_throws_runs_again_on_its_next_trigger_and_other_jobs_go_on()
    {
        var cart = new Cart([new Order("SO1"), new Order("SO2")]);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.MaxConcurrentRuns = 1);
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(cart).DeliverTo(new ScriptedErp()).ReportStatusTo(new ThrowingSink()).Schedule(Schedule.Automatic(0));
            jobs.AddJob("purge", (_, _) => ValueTask.FromResult(JobResult.Success));
        });

        sut.Engine.Signal("order-submit");
        await sut.WaitForRunsAsync("order-submit", 1);
        sut.Engine.Trigger("purge");
        await sut.WaitForRunsAsync("purge", 1);
        sut.Engine.Signal("order-submit");
        await sut.WaitForRunsAsync("order-submit", 2);

        Assert.All(sut.Runs.Where(r => r.JobName == "order-submit"), r => Assert.NotEqual(JobOutcome.Succeeded, r.Outcome));
        await sut.Engine.StopAsync(CancellationToken.None).WaitAsync(Patience);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task Outside_texts_are_capped_before_they_are_stored()
    {
        var huge = "ERP said: \0\r\n" + new string('x', 100_000) + "\uD800";
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.AddJob("thrower", (ctx, _) =>
                {
                    ctx.Log(JobLogLevel.Warning, huge);
                    throw new InvalidOperationException(huge);
                });
                jobs.AddJob("reporter", (_, _) => ValueTask.FromResult(JobResult.Failed(huge)));
            },
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        sut.Engine.Trigger("thrower");
        sut.Engine.Trigger("reporter");
        await sut.WaitForRunsAsync("thrower", 1);
        await sut.WaitForRunsAsync("reporter", 1);
        await sut.NotifiedAsync();

        foreach (var job in new[] { "thrower", "reporter" })
        {
            var run = Assert.Single(await sut.Engine.GetRunsAsync(job, 10, CancellationToken.None));
            Assert.InRange(run.Error!.Length, 1, 4_000);
            Assert.Contains("(truncated, ", run.Error);
            Assert.DoesNotContain('\0', run.Error);
            Assert.All(run.Log, l => Assert.InRange(l.Message.Length, 1, 8_000));
        }

        Assert.All(notifier.Failures, f => Assert.InRange(f.Error!.Length, 1, 4_000));
    }

    private sealed class AsyncDisposeThrows : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => throw new InvalidOperationException("boom in DisposeAsync");
    }

    private sealed class DisposeThrows : IDisposable
    {
        public void Dispose() => throw new InvalidOperationException("boom in Dispose");
    }

    private sealed class JobWhoseConstructorThrows : IIntegrationJob
    {
        public JobWhoseConstructorThrows() => throw new InvalidOperationException("boom in the constructor");

        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Success);
    }

    private sealed class ThrowingNotifier : IJobFailureNotifier
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("the mail server is down");
        }
    }

    private sealed class ThrowingSink : IRecordStatusSink<Order>
    {
        public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
            => throw new InvalidOperationException("the cart's database is down");
    }
}

/// <summary>A store that delegates to another and fails the named methods (thrown, or as a faulted task).</summary>
#pragma warning disable CA1852 // DispatchProxy needs a derivable type.
internal class FaultyStore : DispatchProxy
#pragma warning restore CA1852
{
    private IJobStore _inner = null!;
    private HashSet<string> _failing = [];
    private bool _throwsSynchronously;

    public static IJobStore Create(IJobStore inner, bool throwsSynchronously, params string[] failing)
    {
        var proxy = Create<IJobStore, FaultyStore>();
        var store = (FaultyStore)(object)proxy;
        store._inner = inner;
        store._failing = [.. failing];
        store._throwsSynchronously = throwsSynchronously;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (!_failing.Contains(targetMethod.Name))
        {
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                throw ex.InnerException;
            }
        }

        var error = new IOException($"The store is down ({targetMethod.Name}).");
        if (_throwsSynchronously)
        {
            throw error;
        }

        if (targetMethod.ReturnType == typeof(ValueTask))
        {
#pragma warning disable CA2012 // Boxed for the proxy's caller, which awaits it once.
            return ValueTask.FromException(error);
#pragma warning restore CA2012
        }

        // ValueTask<T>: made through ValueTask.FromException<T>.
        var type = targetMethod.ReturnType.GetGenericArguments()[0];
        return typeof(ValueTask).GetMethod(nameof(ValueTask.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(type).Invoke(null, [error]);
    }
}

/// <summary>A store that delegates to another unless the interceptor answers a call (by method name) itself.</summary>
#pragma warning disable CA1852 // DispatchProxy needs a derivable type.
internal class InterceptingStore : DispatchProxy
#pragma warning restore CA1852
{
    private IJobStore _inner = null!;
    private Func<string, object?[]?, object?> _intercept = null!;

    public static IJobStore Create(IJobStore inner, Func<string, object?[]?, object?> intercept)
    {
        var proxy = Create<IJobStore, InterceptingStore>();
        var store = (InterceptingStore)(object)proxy;
        store._inner = inner;
        store._intercept = intercept;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (_intercept(StoreCall.Name(targetMethod, args), args) is { } answer)
        {
            return answer;
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
