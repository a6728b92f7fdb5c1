using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Commerce.Jobs.CrashHost;

/// <summary>
/// Appends <c>id&lt;TAB&gt;version&lt;TAB&gt;kind&lt;TAB&gt;idempotencyKey&lt;TAB&gt;started&lt;TAB&gt;confirmed</c> lines (UTF-8) for each
/// entity change and flushes them to disk before it answers Delivered, after a latency per batch (a remote service's answer
/// time), so that a kill lands in the middle of a delivery. Started and confirmed are <see cref="Stopwatch.GetTimestamp"/>
/// values (one monotonic clock for every process of the machine), so a test can order these deliveries with its own. A
/// line a killed process left unfinished is closed with a newline by the next writer.
/// </summary>
public sealed class EntityFileTarget : IDeliveryTarget, IDeliveryTarget<EntityChange>, IDisposable
{
    private readonly FileStream _file;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeSpan _latency;

    public EntityFileTarget(string name, string path, TimeSpan latency)
    {
        Name = name;
        _latency = latency;
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        if (_file.Length > 0)
        {
            _file.Seek(-1, SeekOrigin.End);
            var last = _file.ReadByte();
            _file.Seek(0, SeekOrigin.End);
            if (last != '\n')
            {
                _file.Write("\n"u8);
            }
        }
    }

    public string Name { get; }

    public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<EntityChange> batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture);
        if (_latency > TimeSpan.Zero)
        {
            await Task.Delay(_latency, cancellationToken);
        }

        var confirmed = Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        for (var i = 0; i < batch.Count; i++)
        {
            var change = batch.Records.Span[i];
            text.Append(change.Id).Append('\t').Append(change.Version.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(change.Kind).Append('\t').Append(batch.GetIdempotencyKey(i)).Append('\t')
                .Append(started).Append('\t').Append(confirmed).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _file.Write(bytes);
            _file.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }

        return DeliveryResult.Delivered;
    }

    public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        => throw new NotSupportedException("The entity file target takes entity changes only.");

    public void Dispose()
    {
        _file.Dispose();
        _gate.Dispose();
    }
}
