using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.IntegrationTests.Adapters.TestSupport;

/// <summary>A service provider with Commerce.Jobs started, as a host would run it; stopped and disposed at the end.</summary>
public sealed class RunningHost(ServiceProvider services) : IAsyncDisposable
{
    public IServiceProvider Services => services;

    public static async Task<RunningHost> StartAsync(Action<CommerceJobsBuilder> configure, CapturingLoggerProvider? logs = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        collection.AddCommerceJobs(configure);
        var provider = collection.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return new RunningHost(provider);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in services.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await services.DisposeAsync();
    }
}
