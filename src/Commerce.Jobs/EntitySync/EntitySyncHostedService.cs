using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs.EntitySync;

/// <summary>Starts entity synchronization with the host (delivering what the store held) and stops it gracefully with it.</summary>
internal sealed class EntitySyncHostedService(EntitySyncService service) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => service.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => service.StopAsync(cancellationToken);
}
