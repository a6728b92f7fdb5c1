using Commerce.Jobs.Definitions;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Runners;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>
/// Starts entity sync and then the engine with the host, and stops both together: each is bounded by the grace period
/// (<see cref="CommerceJobsOptions.ShutdownTimeout"/>, cut short by the host's stop token) and
/// <see cref="JobEngine.LastSecond"/>, so stopping never waits for one part's grace period after the other's, nor for
/// what a part cannot stop.
/// </summary>
internal sealed class CommerceJobsHostedService(
    JobEngine engine,
    JobDefinitionService definitions,
    TargetDefinitionService targetDefinitions,
    EntitySyncService entitySync,
    IOptions<CommerceJobsOptions> options,
    TimeProvider time,
    ILogger<CommerceJobsHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Entity sync first: a job that runs at once can publish changes into lanes that are there.
        await entitySync.StartAsync(cancellationToken).ConfigureAwait(false);
        await engine.RestoreControlsAsync(cancellationToken).ConfigureAwait(false);
        await definitions.RestoreAsync(cancellationToken).ConfigureAwait(false);
        await targetDefinitions.RestoreAsync(cancellationToken).ConfigureAwait(false);
        engine.Start();
    }

    /// <remarks>
    /// Together, not one after the other: a job still running in the grace period may publish entity changes into a
    /// stopping sync; the store holds them first, and they are delivered after the next start.
    /// </remarks>
    public Task StopAsync(CancellationToken cancellationToken)
        => Task.WhenAll(engine.StopAsync(cancellationToken), StopEntitySyncAsync(cancellationToken));

    /// <summary>Stops entity sync, awaited no longer than the grace period and a last second; never throws.</summary>
    private async Task StopEntitySyncAsync(CancellationToken cancellationToken)
    {
        var stop = entitySync.StopAsync(cancellationToken);
        try
        {
            try
            {
                await stop.WaitAsync(options.Value.ShutdownTimeout, time, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception) when (!stop.IsCompleted)
            {
                // The grace period is over (or the host's token fired): a last second, as the engine's cancelled runs get.
            }

            await stop.WaitAsync(JobEngine.LastSecond, time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception) when (!stop.IsCompleted)
        {
            Log.StopAbandoned(logger, "Entity synchronization");
        }
        catch (Exception ex)
        {
            Log.StopFault(logger, "Entity synchronization", ex);
        }
    }
}
