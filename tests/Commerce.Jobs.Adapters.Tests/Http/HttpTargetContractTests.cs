using Commerce.Jobs.Adapters.Tests.Targets;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Http;

/// <summary>The contract suite against a real Kestrel endpoint that verifies every signature.</summary>
public abstract class HttpTargetContractTests(KestrelServer server, HttpTargetMode mode) : DeliveryTargetContractTests
{
    private const string Secret = "contract-secret-0123456789";
    private readonly FakeTimeProvider _time = new(Batches.Start);
    private readonly TestEndpoint _endpoint = server.NewEndpoint();

    protected override string TargetName => "erp";

    protected override IDeliveryTarget CreateSut() => new HttpTarget(
        TargetName,
        new HttpTargetOptions { Endpoint = _endpoint.Uri, SigningSecret = Secret, Mode = mode },
        () => server.Client,
        _time,
        NullLogger.Instance);

    protected override Task<IReadOnlyList<DeliveredRecord>> ReadDeliveredAsync()
    {
        var delivered = new List<DeliveredRecord>();
        foreach (var request in _endpoint.Requests)
        {
            Assert.True(HttpTargetSignature.Verify(Secret, request.Header(HttpTargetSignature.HeaderName), request.Body, _time.GetUtcNow(), TimeSpan.FromMinutes(5)));
            var body = request.Json();
            var items = mode switch
            {
                HttpTargetMode.Batch => body.GetProperty("records").EnumerateArray().ToArray(),
                HttpTargetMode.Documents => body.GetProperty("operations").EnumerateArray().ToArray(),
                _ => [body],
            };
            Assert.Equal(body.GetProperty("idempotencyKey").GetString(), request.Header("Idempotency-Key"));
            delivered.AddRange(items.Select(i => new DeliveredRecord(i.GetProperty("id").GetString()!, i.GetProperty("idempotencyKey").GetString()!)));
        }

        return Task.FromResult<IReadOnlyList<DeliveredRecord>>(delivered);
    }
}

public sealed class HttpTargetBatchContractTests(KestrelServer server) : HttpTargetContractTests(server, HttpTargetMode.Batch), IClassFixture<KestrelServer>;

public sealed class HttpTargetPerRecordContractTests(KestrelServer server) : HttpTargetContractTests(server, HttpTargetMode.PerRecord), IClassFixture<KestrelServer>;

public sealed class HttpTargetDocumentsContractTests(KestrelServer server) : HttpTargetContractTests(server, HttpTargetMode.Documents), IClassFixture<KestrelServer>;
