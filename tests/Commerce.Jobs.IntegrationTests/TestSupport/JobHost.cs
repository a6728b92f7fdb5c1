using System.Reflection;
using System.Runtime.ExceptionServices;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.IntegrationTests.TestSupport;

/// <summary>
/// One host of a multi-host test, built from the public surface only: a service collection with AddCommerceJobs and the
/// PostgreSQL store, its hosted services started, on a shared fake clock (through its own <see cref="TimerCountingClock"/>,
/// which counts its timers). Its store counts the occurrence claims it made (won or lost), the runs it recorded and the
/// operator changes it wrote, so a test can wait until every host has had its say on a scheduled fire. Each count and
/// timer change raises <see cref="Progress"/>.
/// </summary>
internal sealed class JobHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IHostedService[] _hosted;
    private readonly TimerCountingClock _clock;
    private int _claims;
    private int _wins;
    private int _recorded;
    private int _controlsWritten;

    private JobHost(string name, ServiceProvider services, TimerCountingClock clock)
    {
        Name = name;
        _services = services;
        _clock = clock;
        _hosted = [.. services.GetServices<IHostedService>()];
    }

    public string Name { get; }

    public IJobTrigger Trigger => _services.GetRequiredService<IJobTrigger>();

    public IJobMonitor Monitor => _services.GetRequiredService<IJobMonitor>();

    public IJobControl Control => _services.GetRequiredService<IJobControl>();

    public IJobDefinitions Definitions => _services.GetRequiredService<IJobDefinitions>();

    public IRecordInbox Inbox => _services.GetRequiredService<IRecordInbox>();

    public IJobStore Store => _services.GetRequiredService<IJobStore>();

    /// <summary>Gets how many occurrence claims this host's store answered (won or lost).</summary>
    public int Claims => Volatile.Read(ref _claims);

    /// <summary>Gets how many occurrence claims this host won.</summary>
    public int Wins => Volatile.Read(ref _wins);

    /// <summary>Gets how many runs this host's store recorded.</summary>
    public int Recorded => Volatile.Read(ref _recorded);

    /// <summary>Gets how many operator changes (pause, resume…) this host's store wrote.</summary>
    public int ControlsWritten => Volatile.Read(ref _controlsWritten);

    /// <summary>Gets how many of this host's timers are armed on the shared clock.</summary>
    public int ArmedTimers => _clock.ArmedTimers;

    /// <summary>Gets how many of this host's one-shot timers have fired and are not yet re-armed or disposed.</summary>
    public int FiredTimers => _clock.FiredTimers;

    public static async Task<JobHost> StartAsync(string name, FakeTimeProvider time, string connectionString, string schema, Action<CommerceJobsBuilder> configure, Action<CommerceJobsOptions>? options = null)
    {
        JobHost? host = null;
        var clock = new TimerCountingClock(time);
        clock.Changed += Progress.Pulse;
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(clock);
        collection.AddCommerceJobs(jobs =>
        {
            jobs.UsePostgreSqlStore(connectionString, o => o.Schema = schema);
            jobs.Configure(o =>
            {
                o.HostName = name;
                options?.Invoke(o);
            });
            configure(jobs);
        });

        // Wrap the registered store (its own data source and connections) to count claims; the proxy forwards every member.
        var registered = collection.Last(d => d.ServiceType == typeof(IJobStore));
        IJobStore? inner = null;
        collection.Replace(ServiceDescriptor.Singleton<IJobStore>(services =>
        {
            inner = (IJobStore)registered.ImplementationFactory!(services);
            return CountingStore.Create(inner, (method, result) =>
            {
                switch (method)
                {
                    case nameof(IJobStore.TryClaimOccurrenceAsync):
                        if ((bool)result!)
                        {
                            Interlocked.Increment(ref host!._wins);
                        }

                        Interlocked.Increment(ref host!._claims);
                        break;
                    case nameof(IJobStore.AddRunAsync):
                        Interlocked.Increment(ref host!._recorded);
                        break;
                    case CountingStore.SetJobControls:
                        Interlocked.Increment(ref host!._controlsWritten);
                        break;
                }

                Progress.Pulse();
            });
        }));
        collection.AddSingleton(new InnerStore(() => inner));

        host = new JobHost(name, collection.BuildServiceProvider(), clock);
        foreach (var hosted in host._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return host;
    }

    public ValueTask DisposeAsync() => StopAsync(Wait.Patience);

    /// <summary>Tears down a host the test killed: its running jobs are cancelled at once instead of being given a grace period.</summary>
    public ValueTask AbandonAsync() => StopAsync(TimeSpan.Zero);

    private async ValueTask StopAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        foreach (var hosted in _hosted.Reverse())
        {
            await hosted.StopAsync(timeout.Token);
        }

        var inner = _services.GetRequiredService<InnerStore>().Get();
        await _services.DisposeAsync();
        if (inner is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private sealed record InnerStore(Func<IJobStore?> Get);
}

/// <summary>
/// Forwards every <see cref="IJobStore"/> member and reports each occurrence claim (with whether it was won), each
/// recorded run and each written operator change once it has completed.
/// </summary>
public class CountingStore : DispatchProxy
{
    /// <summary>How a write of job controls (operator state of kind job) is reported.</summary>
    internal const string SetJobControls = nameof(IJobStore.SetAsync) + "(" + Storage.OperatorStateKinds.Job + ")";

    private IJobStore _inner = null!;
    private Action<string, object?> _completed = null!;

    internal static IJobStore Create(IJobStore inner, Action<string, object?> completed)
    {
        var proxy = Create<IJobStore, CountingStore>();
        var self = (CountingStore)(object)proxy;
        self._inner = inner;
        self._completed = completed;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        object? result;
        try
        {
            result = targetMethod!.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }

        var name = targetMethod.Name == nameof(IJobStore.SetAsync) && args is [string kind, ..] ? $"{targetMethod.Name}({kind})" : targetMethod.Name;
        return name switch
        {
            nameof(IJobStore.TryClaimOccurrenceAsync) => new ValueTask<bool>(ReportAsync(name, (ValueTask<bool>)result!)),
            nameof(IJobStore.AddRunAsync) or SetJobControls => new ValueTask(ReportAsync(name, (ValueTask)result!)),
            _ => result,
        };
    }

    private async Task<bool> ReportAsync(string method, ValueTask<bool> call)
    {
        var value = await call;
        _completed(method, value);
        return value;
    }

    private async Task ReportAsync(string method, ValueTask call)
    {
        await call;
        _completed(method, null);
    }
}
