using System.Runtime.CompilerServices;

namespace Commerce.Jobs.Snippets;

// The host's own types the READMEs name: empty adapters, enough for the snippets to compile (and to start a host).

public sealed record Order(string Number, decimal Total) : IRecord
{
    public string RecordId => Number;
}

public sealed record Shipment(string Id, string OrderNumber) : IRecord
{
    public string RecordId => Id;
}

public sealed record Category(string Id, string Name, long Version);

public sealed class PendingOrders : IRecordSource<Order>, IRecordStatusSink<Order>
{
    public IAsyncEnumerable<Order> ReadAsync(RecordQuery query, CancellationToken cancellationToken) => AsyncEnumerable.Empty<Order>();

    public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

public sealed class NewOrders : IRecordSource<Order>
{
    public IAsyncEnumerable<Order> ReadAsync(RecordQuery query, CancellationToken cancellationToken) => AsyncEnumerable.Empty<Order>();
}

public sealed class ErpOrders : IDeliveryTarget<Order>
{
    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
}

public sealed class OrderStatusWriter : IRecordStatusSink<Order>
{
    public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

public sealed class ProductRefresh : IIntegrationJob
{
    public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Success);
}

public sealed class RebuildSearchIndex : IIntegrationJob
{
    public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Success);
}

public sealed class PurgeSavedCarts : IIntegrationJob
{
    public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Success);
}

public sealed class EmailAdministrator : IJobFailureNotifier
{
    public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

public sealed class CatalogCategories : IEntitySource
{
    public IAsyncEnumerable<EntityChange> ReadAllAsync(string entityType, CancellationToken cancellationToken) => AsyncEnumerable.Empty<EntityChange>();

    public IAsyncEnumerable<EntityChange> ReadAsync(string entityType, IReadOnlyCollection<string> ids, CancellationToken cancellationToken) => AsyncEnumerable.Empty<EntityChange>();
}
