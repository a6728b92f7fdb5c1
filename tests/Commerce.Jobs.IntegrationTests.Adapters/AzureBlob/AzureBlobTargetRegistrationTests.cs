using Commerce.Jobs.Adapters;
using Commerce.Jobs.Adapters.AzureBlob;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Commerce.Jobs.IntegrationTests.Adapters.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.IntegrationTests.Adapters.AzureBlob;

/// <summary><c>AddAzureBlobTarget</c> wired into the engine: DI, options validation, a record job end to end against Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobTargetRegistrationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_record_job_uploads_one_blob_per_batch_through_the_registered_target()
    {
        var container = "job-" + Guid.NewGuid().ToString("N");
        var orders = new InMemoryRecordSource<Order>(o => o.Id);
        orders.AddRange(Batches.Orders(5));
        var logs = new CapturingLoggerProvider();

        await using (var host = await RunningHost.StartAsync(
            jobs =>
            {
                jobs.AddAzureBlobTarget("archive", blob =>
                {
                    blob.ConnectionString = azurite.ConnectionString;
                    blob.Container = container;
                    blob.CreateContainer = true;
                });
                jobs.AddRecordJob<Order>("order-export").ReadFrom(orders).ReportStatusTo(orders).DeliverTo("archive").WithKey(o => o.Id).Batch(size: 2);
            },
            logs))
        {
            var result = await host.Services.GetRequiredService<IJobRunner>().RunAsync("order-export", null, TimeSpan.FromSeconds(30), CancellationToken.None);

            Assert.Equal(JobOutcome.Succeeded, result.Outcome);
            Assert.Equal(5, result.Counts.Delivered);
        }

        var names = new List<string>();
        await foreach (var blob in azurite.Client.GetBlobContainerClient(container).GetBlobsAsync())
        {
            names.Add(blob.Name);
        }

        Assert.Equal(3, names.Count);
        Assert.All(names, n => Assert.Matches(@"^order-export/\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.jsonl$", n));
        Assert.Equal(RecordStatus.Delivered, orders.GetStatus("1005").Status);
        Assert.Contains(logs.Lines, l => l.Contains($"Azure Blob target archive uploaded 2 records to {container}/order-export/", StringComparison.Ordinal));
        Assert.All(logs.Lines, l => Assert.DoesNotContain(AzuriteFixture.AccountKey, l, StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_settings_fail_validation_at_start_naming_the_target_and_setting_without_the_connection_string()
    {
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.AddAzureBlobTarget("archive", blob =>
        {
            blob.ConnectionString = azurite.ConnectionString;
            blob.ServiceUri = new Uri("https://example.blob.core.windows.net");
            blob.Container = "Exports";
            blob.Timeout = TimeSpan.Zero;
        }));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<AzureBlobTargetOptions>>().Get("archive"));

        Assert.Contains("Azure Blob target 'archive': set either ConnectionString or ServiceUri (with a Credential), not both and not neither.", ex.Failures);
        Assert.Contains(ex.Failures, f => f.StartsWith("Azure Blob target 'archive': Container must be 3 to 63 lowercase letters", StringComparison.Ordinal) && f.EndsWith("(was 'Exports').", StringComparison.Ordinal));
        Assert.Contains("Azure Blob target 'archive': Timeout must be between 00:00:00.001 and 1.00:00:00 (was 00:00:00).", ex.Failures);
        Assert.DoesNotContain(AzuriteFixture.AccountKey, ex.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    [Fact]
    public void A_malformed_connection_string_fails_when_the_target_is_created_without_repeating_it()
    {
        const string connectionString = "AccountName=x;AccountKey=not-base64-secret-value;Garbage";

        var ex = Assert.Throws<OptionsValidationException>(() => new AzureBlobTarget(
            "archive",
            new AzureBlobTargetOptions { ConnectionString = connectionString, Container = "exports" },
            TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));

        Assert.Equal("Azure Blob target 'archive': ConnectionString is not a valid storage connection string.", Assert.Single(ex.Failures));
        Assert.DoesNotContain("not-base64-secret-value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_name_is_taken_once()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs =>
        {
            jobs.AddAzureBlobTarget("archive", blob => blob.Container = "exports");
            jobs.AddKafkaTarget("ARCHIVE", kafka => kafka.Topic = "orders");
        }));

        Assert.Contains("already registered", ex.Message, StringComparison.Ordinal);
    }
}
