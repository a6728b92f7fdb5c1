using System.Collections.Concurrent;
using Azure.Core;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;

namespace Commerce.Jobs.Adapters.EventHubs.Tests.TestSupport;

/// <summary>One batch as the fake producer received it: its partition key and its events, in order.</summary>
public sealed record SentBatch(string? PartitionKey, IReadOnlyList<EventData> Events);

/// <summary>
/// A producer client through the library's test seams: batches come from <see cref="EventHubsModelFactory.EventDataBatch"/>
/// with a size callback (an event's size is its body plus its properties' names and values), and sends are recorded, failed
/// on request, or held until cancelled.
/// </summary>
public sealed class FakeProducer : EventHubProducerClient
{
    private readonly ConcurrentDictionary<EventDataBatch, (CreateBatchOptions Options, List<EventData> Store)> _batches = new();
    private readonly List<SentBatch> _sent = [];
    private readonly Lock _gate = new();
    private int _sends;

    /// <summary>Gets or sets the size every batch reports and holds, in bytes.</summary>
    public long MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets what a send throws: given the batch and the 1-based number of the send, an exception or <see langword="null"/>.</summary>
    public Func<SentBatch, int, Exception?>? FailSend { get; set; }

    /// <summary>Gets or sets what creating a batch throws, if anything.</summary>
    public Func<Exception?>? FailCreate { get; set; }

    /// <summary>Gets or sets the credential asked for a token before each batch is created and each send, as the real client does.</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>Gets or sets whether a send waits until it is cancelled.</summary>
    public bool HoldSends { get; set; }

    /// <summary>Gets a task that completes when a send is held.</summary>
    public TaskCompletionSource SendHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Disposed { get; private set; }

    public IReadOnlyList<SentBatch> Sent
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    public IReadOnlyList<EventData> SentEvents => Sent.SelectMany(b => b.Events).ToList();

    public static long SizeOf(EventData data) =>
        data.EventBody.ToMemory().Length + data.Properties.Sum(p => p.Key.Length + (p.Value?.ToString()?.Length ?? 0));

    public override async ValueTask<EventDataBatch> CreateBatchAsync(CreateBatchOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await AuthenticateAsync(cancellationToken);
        if (FailCreate?.Invoke() is { } failure)
        {
            throw failure;
        }

        var store = new List<EventData>();
        var used = 0L;
        var max = MaxBatchBytes;
        var batch = EventHubsModelFactory.EventDataBatch(max, store, options, data =>
        {
            var size = SizeOf(data);
            if (used + size > max)
            {
                return false;
            }

            used += size;
            return true;
        });
        _batches[batch] = (options, store);
        return batch;
    }

    public override ValueTask<EventDataBatch> CreateBatchAsync(CancellationToken cancellationToken = default) => CreateBatchAsync(new CreateBatchOptions(), cancellationToken);

    public override async Task SendAsync(EventDataBatch eventBatch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await AuthenticateAsync(cancellationToken);
        var (options, store) = _batches[eventBatch];
        var sent = new SentBatch(options.PartitionKey, [.. store]);
        var number = Interlocked.Increment(ref _sends);
        if (HoldSends)
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var registration = cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken));
            SendHeld.TrySetResult();
            await cancelled.Task;
        }

        if (FailSend?.Invoke(sent, number) is { } failure)
        {
            throw failure;
        }

        lock (_gate)
        {
            _sent.Add(sent);
        }
    }

    private async ValueTask AuthenticateAsync(CancellationToken cancellationToken)
    {
        if (Credential is { } credential)
        {
            await credential.GetTokenAsync(new TokenRequestContext(["https://eventhubs.azure.net/.default"]), cancellationToken);
        }
    }

    public override Task CloseAsync(CancellationToken cancellationToken = default)
    {
        Disposed = true;
        return Task.CompletedTask;
    }

#pragma warning disable CA2215 // the base class's DisposeAsync closes a real connection, which a fake made by the protected constructor has not
    public override ValueTask DisposeAsync()
#pragma warning restore CA2215
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
