using System.Text;

namespace Commerce.Jobs.CrashHost;

/// <summary>
/// Appends <c>id&lt;TAB&gt;idempotencyKey</c> lines to a file and flushes them to disk before it answers Delivered, so
/// every record the store hears was delivered is in the file, whenever the process is killed. It can take a while per
/// batch, as a remote ERP does, so that kills land in the middle of the deliveries rather than after the last one.
/// </summary>
public sealed class AppendingFileTarget : IDeliveryTarget<CrashRecord>, IDisposable
{
    private readonly FileStream _file;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeSpan _latency;

    public AppendingFileTarget(string path, TimeSpan latency)
    {
        _latency = latency;
        // No buffer: each batch goes to the file in one write. A line a killed process left unfinished is closed with a
        // newline, so it cannot run into the next process's first line.
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
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

    public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<CrashRecord> batch, CancellationToken cancellationToken)
    {
        if (_latency > TimeSpan.Zero)
        {
            await Task.Delay(_latency, cancellationToken);
        }

        var text = new StringBuilder(batch.Count * 24);
        for (var i = 0; i < batch.Count; i++)
        {
            text.Append(batch.GetRecordId(i)).Append('\t').Append(batch.GetIdempotencyKey(i)).Append('\n');
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

    public void Dispose()
    {
        _file.Dispose();
        _gate.Dispose();
    }
}
