using Commerce.Jobs.Runners;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs;

/// <summary>Starts the engine with the host and stops it gracefully with it.</summary>
internal sealed class CommerceJobsHostedService(JobEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        engine.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
