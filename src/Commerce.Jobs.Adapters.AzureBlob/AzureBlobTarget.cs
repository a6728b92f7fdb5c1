using System.Buffers;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Commerce.Jobs.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>
/// Uploads each batch as one JSON Lines blob, <c>{prefix/}{job}/{yyyy}/{MM}/{dd}/{batch id}.jsonl</c>, whose batch id is a
/// hash of the records' idempotency keys: the same batch delivered again the same (UTC) day overwrites the same blob.
/// </summary>
/// <remarks>
/// Each line is <c>{"id":"…","idempotencyKey":"…","record":{…}}</c>. Errors: 408, 429, 5xx, timeouts and network errors
/// are transient (<c>Retry-After</c> passed on), other 4xx permanent. The Azure SDK's own retries are off: the job's retry
/// window retries. Errors and logs name the target and the container, never the connection string.
/// </remarks>
internal sealed partial class AzureBlobTarget : IDeliveryTarget
{
    private readonly BlobContainerClient _container;
    private readonly bool _createContainer;
    private readonly string? _prefix;
    private readonly TimeSpan _timeout;
    private readonly JsonSerializerOptions _json;
    private readonly JsonWriterOptions _writerOptions;
    private readonly string[] _secrets;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile bool _containerChecked;

    /// <summary>Initializes a new instance of the <see cref="AzureBlobTarget"/> class with a snapshot of <paramref name="options"/>.</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="options">The settings; validated here too.</param>
    /// <param name="time">The clock: blob names' dates, timeouts, <c>Retry-After</c> dates.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The settings are invalid.</exception>
    public AzureBlobTarget(string name, AzureBlobTargetOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new AzureBlobTargetOptionsValidator().Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(AzureBlobTargetOptions), validation.Failures);
        }

        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.MaxRetries = 0; // the job's retry window retries, with the target's health in view
        clientOptions.Retry.NetworkTimeout = options.Timeout;
        BlobServiceClient service;
        try
        {
            service = options.ConnectionString is { } connectionString
                ? new BlobServiceClient(connectionString, clientOptions)
                : options.Credential is { } credential
                    ? new BlobServiceClient(options.ServiceUri, credential, clientOptions)
                    : new BlobServiceClient(options.ServiceUri, clientOptions);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            // The connection string is not repeated: it carries the account key.
            throw new OptionsValidationException(name, typeof(AzureBlobTargetOptions), [$"Azure Blob target '{name}': ConnectionString is not a valid storage connection string."]);
        }

        Name = name;
        _container = service.GetBlobContainerClient(options.Container);
        _createContainer = options.CreateContainer;
        _prefix = options.BlobPrefix?.Trim('/');
        _timeout = options.Timeout;
        _json = options.JsonSerializerOptions ?? JsonSerializerOptions.Web;
        _writerOptions = new JsonWriterOptions { Encoder = _json.Encoder, Indented = false };
        _secrets = ErrorText.SecretsOf(options.ConnectionString, "AccountKey", "SharedAccessSignature");
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Gets the container's name.</summary>
    public string Container => _container.Name;

    /// <inheritdoc />
    public async ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        if (batch.Count == 0)
        {
            return DeliveryResult.Delivered;
        }

        BinaryData content;
        try
        {
            content = Serialize(batch);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return Fail(DeliveryResult.PermanentFailure($"Azure Blob target '{Name}': records of type {typeof(T).Name} cannot be serialized to JSON: {ex.Message}"), batch.Count);
        }

        var batchId = batch.GetBatchId();
        var blobName = BlobNames.For(_prefix, batch.JobName, _time.GetUtcNow(), batchId);
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _time.GetTimestamp();
        try
        {
            if (_createContainer && !_containerChecked)
            {
                await CreateContainerAsync(linked.Token).ConfigureAwait(false);
            }

            try
            {
                await UploadAsync(blobName, batchId, batch.Count, content, linked.Token).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (_createContainer && ex.ErrorCode == BlobErrorCode.ContainerNotFound)
            {
                // Deleted since it was checked: create it again and upload once more.
                await CreateContainerAsync(linked.Token).ConfigureAwait(false);
                await UploadAsync(blobName, batchId, batch.Count, content, linked.Token).ConfigureAwait(false);
            }

            AzureBlobTargetLog.Uploaded(_logger, Name, batch.Count, _container.Name, blobName, _time.GetElapsedTime(started).TotalMilliseconds);
            return DeliveryResult.Delivered;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (TryClassify(ex, timeout.IsCancellationRequested) is { } result)
        {
            return Fail(result, batch.Count);
        }
    }

    private async Task CreateContainerAsync(CancellationToken cancellationToken)
    {
        var created = await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (created is not null)
        {
            AzureBlobTargetLog.ContainerCreated(_logger, Name, _container.Name);
        }

        _containerChecked = true;
    }

    private Task<Azure.Response<BlobContentInfo>> UploadAsync(string blobName, string batchId, int records, BinaryData content, CancellationToken cancellationToken) =>
        _container.GetBlobClient(blobName).UploadAsync(
            content,
            new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = AzureBlobTargetDefaults.ContentType },
                Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["batchid"] = batchId,
                    ["records"] = records.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            },
            cancellationToken);

    private BinaryData Serialize<T>(DeliveryBatch<T> batch)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Min(batch.Count, 4096) * 160);
        using var writer = new Utf8JsonWriter(buffer, _writerOptions);
        var records = batch.Records.Span;
        for (var i = 0; i < records.Length; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, batch.GetRecordId(i));
            writer.WriteString("idempotencyKey"u8, batch.GetIdempotencyKey(i));
            writer.WritePropertyName("record"u8);
            JsonSerializer.Serialize(writer, records[i], _json);
            writer.WriteEndObject();
            writer.Flush();
            writer.Reset();
            buffer.Write("\n"u8);
        }

        return BinaryData.FromBytes(buffer.WrittenMemory);
    }

    private DeliveryResult Fail(DeliveryResult result, int records)
    {
        AzureBlobTargetLog.Failed(_logger, Name, records, result.Error!);
        return result;
    }
}
