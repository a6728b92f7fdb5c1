using Commerce.Jobs.Runners;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs;

/// <summary>Starts the engine with the host and stops it gracefully with it.</summary>
internal sealed class CommerceJobsHostedService(JobEngine engine) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await engine.RestoreControlsAsync(cancellationToken).ConfigureAwait(false);
        engine.Start();
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
