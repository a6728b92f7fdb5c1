using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.IntegrationTests.TestSupport;

/// <summary>
/// One host of a multi-host test, built from the public surface only: a service collection with AddCommerceJobs and the
/// PostgreSQL store, its hosted services started, on a shared fake clock. Its store counts the occurrence claims it made
/// (won or lost), so a test can wait until every host has had its say on a scheduled fire.
/// </summary>
internal sealed class JobHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IHostedService[] _hosted;
    private int _claims;
    private int _wins;

    private JobHost(string name, ServiceProvider services)
    {
        Name = name;
        _services = services;
        _hosted = [.. services.GetServices<IHostedService>()];
    }

    public string Name { get; }

    public IJobTrigger Trigger => _services.GetRequiredService<IJobTrigger>();

    public IJobMonitor Monitor => _services.GetRequiredService<IJobMonitor>();

    public IJobControl Control => _services.GetRequiredService<IJobControl>();

    public IRecordInbox Inbox => _services.GetRequiredService<IRecordInbox>();

    public IJobStore Store => _services.GetRequiredService<IJobStore>();

    /// <summary>Gets how many occurrence claims this host's store answered (won or lost).</summary>
    public int Claims => Volatile.Read(ref _claims);

    /// <summary>Gets how many occurrence claims this host won.</summary>
    public int Wins => Volatile.Read(ref _wins);

    public static async Task<JobHost> StartAsync(string name, FakeTimeProvider time, string connectionString, string schema, Action<CommerceJobsBuilder> configure, Action<CommerceJobsOptions>? options = null)
    {
        JobHost? host = null;
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(time);
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
            return ClaimCountingStore.Create(inner, won =>
            {
                if (won)
                {
                    Interlocked.Increment(ref host!._wins);
                }

                Interlocked.Increment(ref host!._claims);
            });
        }));
        collection.AddSingleton(new InnerStore(() => inner));

        host = new JobHost(name, collection.BuildServiceProvider());
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

/// <summary>Forwards every <see cref="IJobStore"/> member and reports the outcome of each occurrence claim.</summary>
public class ClaimCountingStore : DispatchProxy
{
    private IJobStore _inner = null!;
    private Action<bool> _claimed = null!;

    internal static IJobStore Create(IJobStore inner, Action<bool> claimed)
    {
        var proxy = Create<IJobStore, ClaimCountingStore>();
        var self = (ClaimCountingStore)(object)proxy;
        self._inner = inner;
        self._claimed = claimed;
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

        return targetMethod.Name == nameof(IJobStore.TryClaimOccurrenceAsync) ? new ValueTask<bool>(ReportAsync((ValueTask<bool>)result!)) : result;
    }

    private async Task<bool> ReportAsync(ValueTask<bool> claim)
    {
        var won = await claim;
        _claimed(won);
        return won;
    }
}
