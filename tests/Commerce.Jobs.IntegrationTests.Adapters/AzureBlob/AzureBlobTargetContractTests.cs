using System.Text.Json;
using Azure.Storage.Blobs;
using Commerce.Jobs.Adapters.AzureBlob;
using Commerce.Jobs.Adapters.Tests.Targets;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.IntegrationTests.Adapters.AzureBlob;

/// <summary>The contract suite against Azurite: each record read back from the container's blobs, with the key on its line.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobTargetContractTests(AzuriteFixture azurite) : DeliveryTargetContractTests
{
    private readonly string _container = "contract-" + Guid.NewGuid().ToString("N");
    private readonly FakeTimeProvider _time = new(Batches.Start);

    protected override string TargetName => "archive";

    protected override IDeliveryTarget CreateSut() => new AzureBlobTarget(
        TargetName,
        new AzureBlobTargetOptions { ConnectionString = azurite.ConnectionString, Container = _container, CreateContainer = true },
        _time,
        NullLogger.Instance);

    protected override async Task<IReadOnlyList<DeliveredRecord>> ReadDeliveredAsync()
    {
        var container = azurite.Client.GetBlobContainerClient(_container);
        var delivered = new List<DeliveredRecord>();
        if (!await container.ExistsAsync())
        {
            return delivered;
        }

        await foreach (var blob in container.GetBlobsAsync())
        {
            Assert.Matches(@"^order-submit/2026/01/05/[0-9a-f]{32}\.jsonl$", blob.Name);
            var content = (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString();
            foreach (var line in content.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var json = JsonDocument.Parse(line).RootElement;
                delivered.Add(new DeliveredRecord(json.GetProperty("record").GetProperty("id").GetString()!, json.GetProperty("idempotencyKey").GetString()!));
                Assert.Equal(json.GetProperty("record").GetProperty("id").GetString(), json.GetProperty("id").GetString());
            }
        }

        return delivered;
    }
}
