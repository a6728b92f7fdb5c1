using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// Writes each batch to one JSON Lines or CSV file in a folder, atomically: the file is written under a temporary name
/// in the same folder, flushed to disk, then renamed, so a reader never sees half a file.
/// </summary>
/// <remarks>
/// The file is named <c>{job}_{UTC time}_{hash}.{jsonl|csv}</c>, the hash covering the records' idempotency keys and the
/// file's content: a batch delivered again (a retry, a restart after a crash) finds its file and is not written twice,
/// while the same records with new content make a new file. A missing or unwritable folder fails the batch permanently.
/// </remarks>
internal sealed class FileExportTarget : IDeliveryTarget
{
    private const int FlushThreshold = 64 * 1024;

    private readonly FileExportFormat _format;
    private readonly bool _createFolder;
    private readonly char _delimiter;
    private readonly JsonSerializerOptions _json;
    private readonly JsonWriterOptions _writerOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="FileExportTarget"/> class with a snapshot of <paramref name="options"/>.</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="options">The settings; validated here too.</param>
    /// <param name="time">The clock, for file names.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The settings are invalid.</exception>
    public FileExportTarget(string name, FileExportOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new FileExportOptionsValidator().Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(FileExportOptions), validation.Failures);
        }

        Name = name;
        Folder = Path.GetFullPath(options.Folder!);
        _format = options.Format;
        _createFolder = options.CreateFolder;
        _delimiter = options.CsvDelimiter;
        _json = options.JsonSerializerOptions ?? JsonSerializerOptions.Web;
        _writerOptions = new JsonWriterOptions { Encoder = _json.Encoder, Indented = false };
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Gets the full path of the folder.</summary>
    public string Folder { get; }

    /// <inheritdoc />
    public async ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        if (batch.Count == 0)
        {
            return DeliveryResult.Delivered;
        }

        if (EnsureFolder() is { } missing)
        {
            return Fail(DeliveryResult.PermanentFailure(missing), batch.Count);
        }

        var temporary = Path.Combine(Folder, ExportFileNames.Temporary(batch.JobName));
        try
        {
            string hash;
            var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
            });
            await using (stream.ConfigureAwait(false))
            {
                hash = await WriteAsync(batch, stream, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            Publish(batch.JobName, batch.Count, temporary, hash);
            return DeliveryResult.Delivered;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or DirectoryNotFoundException or PathTooLongException)
        {
            return Fail(DeliveryResult.PermanentFailure($"File export target '{Name}': cannot write to folder '{Folder}': {ex.Message}"), batch.Count);
        }
        catch (IOException ex)
        {
            // A full disk, a sharing violation: worth another try.
            return Fail(DeliveryResult.TransientFailure($"File export target '{Name}': writing to folder '{Folder}' failed: {ex.Message}"), batch.Count);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return Fail(DeliveryResult.PermanentFailure($"File export target '{Name}': records of type {typeof(T).Name} cannot be serialized: {ex.Message}"), batch.Count);
        }
        finally
        {
            // Gone already when the rename succeeded; otherwise no half-written file is left behind.
            TryDelete(temporary);
        }
    }

    private string? EnsureFolder()
    {
        if (Directory.Exists(Folder))
        {
            return null;
        }

        if (!_createFolder)
        {
            return $"File export target '{Name}': folder '{Folder}' does not exist (create it, or set CreateFolder to create it on the first export).";
        }

        try
        {
            Directory.CreateDirectory(Folder);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"File export target '{Name}': folder '{Folder}' could not be created: {ex.Message}";
        }
    }

    /// <summary>Writes the records and returns the batch's hash: 16 hex digits of SHA-256 over the idempotency keys and the bytes written.</summary>
    private async ValueTask<string> WriteAsync<T>(DeliveryBatch<T> batch, FileStream stream, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        BatchIdempotencyKey.AppendKeys(hash, Enumerable.Range(0, batch.Count).Select(batch.GetIdempotencyKey));
        var buffer = new ArrayBufferWriter<byte>(FlushThreshold + 4096);
        var csv = _format == FileExportFormat.Csv ? CsvLayout.For(typeof(T)) : null;
        var row = csv is null ? null : new StringBuilder();
        using var json = csv is null ? new Utf8JsonWriter(buffer, _writerOptions) : null;
        if (csv is not null)
        {
            csv.AppendHeader(row!, _delimiter);
            AppendUtf8(buffer, row!);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (csv is not null)
            {
                csv.AppendRow(row!, Record(batch, i), _delimiter, _json);
                AppendUtf8(buffer, row!);
            }
            else
            {
                WriteJsonLine(json!, buffer, batch, i);
            }

            if (buffer.WrittenCount >= FlushThreshold || i == batch.Count - 1)
            {
                hash.AppendData(buffer.WrittenSpan);
                await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest[..8]);
    }

    private static T Record<T>(DeliveryBatch<T> batch, int index) => batch.Records.Span[index];

    private void WriteJsonLine<T>(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer, DeliveryBatch<T> batch, int index)
    {
        JsonSerializer.Serialize(writer, batch.Records.Span[index], _json);
        writer.Flush();
        writer.Reset();
        buffer.Write("\n"u8);
    }

    private static void AppendUtf8(ArrayBufferWriter<byte> buffer, StringBuilder text)
    {
        var value = text.ToString();
        var written = Encoding.UTF8.GetBytes(value, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length)));
        buffer.Advance(written);
        text.Clear();
    }

    /// <summary>Renames the temporary file to its final name, unless this batch was exported already.</summary>
    private void Publish(string job, int records, string temporary, string hash)
    {
        foreach (var existing in Directory.EnumerateFiles(Folder, ExportFileNames.SameBatchPattern(job, hash, _format)))
        {
            if (ExportFileNames.IsFinal(Path.GetFileName(existing)))
            {
                FileExportLog.AlreadyExported(_logger, Name, records, Path.GetFileName(existing));
                return;
            }
        }

        var final = Path.Combine(Folder, ExportFileNames.Final(job, _time.GetUtcNow(), hash, _format));
        try
        {
            File.Move(temporary, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            // The same batch, exported in the same millisecond by a concurrent delivery.
        }

        FileExportLog.Written(_logger, Name, records, Path.GetFileName(final));
    }

    private DeliveryResult Fail(DeliveryResult result, int records)
    {
        FileExportLog.Failed(_logger, Name, records, result.Error!);
        return result;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the cleanup job, which removes stale temporary files too.
        }
    }
}
