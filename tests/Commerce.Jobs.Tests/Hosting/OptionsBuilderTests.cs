using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Tests.Hosting;

/// <summary>The options behind jobs and entity syncs are ordinary named options: hosts chain Validate and BindConfiguration on their builders.</summary>
public sealed class OptionsBuilderTests
{
    [Fact]
    public void Job_Options_Validate_FailsStartUpWithItsMessage()
    {
        using var provider = CreateProvider(jobs => jobs.AddJob("product-refresh", static (_, _) => ValueTask.FromResult(JobResult.Success))
            .MaxConcurrency(5)
            .Options.Validate(o => o.MaxConcurrency <= 2, "Job 'product-refresh': MaxConcurrency must be at most 2 on this host."));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);

        Assert.Contains("Job 'product-refresh': MaxConcurrency must be at most 2 on this host.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordJob_Options_BindConfiguration_Binds()
    {
        using var provider = CreateProvider(
            jobs => jobs.AddRecordJob<Line>("order-submit").ReadFrom(new Lines()).DeliverTo(new Lines())
                .Batch(size: 10)
                .Options.BindConfiguration("OrderSubmit"),
            ("OrderSubmit:BatchSize", "250"),
            ("OrderSubmit:RetryWindow:MaxRetries", "7"));

        Assert.NotNull(provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);
        var options = provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get("order-submit");
        Assert.Equal(250, options.BatchSize);
        Assert.Equal(7, options.RetryWindow.MaxRetries);
    }

    [Fact]
    public void EntitySync_Options_ValidateAndBindConfiguration()
    {
        using var provider = CreateProvider(
            jobs =>
            {
                jobs.AddTarget("search", _ => new Lines());
                jobs.AddEntitySync("categories").DeliverTo("search").Options
                    .BindConfiguration("Categories")
                    .Validate(o => o.BatchSize <= 100, "Entity sync 'categories': BatchSize must be at most 100 here.");
                jobs.AddEntitySync("buyers").DeliverTo("search").Options.BindConfiguration("Buyers");
            },
            ("Categories:BatchSize", "500"),
            ("Buyers:BatchSize", "50"));

        var monitor = provider.GetRequiredService<IOptionsMonitor<EntitySyncOptions>>();
        Assert.Equal(50, monitor.Get("buyers").BatchSize);
        var error = Assert.Throws<OptionsValidationException>(() => monitor.Get("categories"));
        Assert.Contains("Entity sync 'categories': BatchSize must be at most 100 here.", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider CreateProvider(Action<CommerceJobsBuilder> configure, params (string Key, string Value)[] configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(configuration.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());
        services.AddCommerceJobs(configure);
        return services.BuildServiceProvider();
    }

    private sealed record Line(string RecordId) : IRecord;

    private sealed class Lines : IRecordSource<Line>, IDeliveryTarget<Line>, IDeliveryTarget
    {
        public string Name => "search";

        public IAsyncEnumerable<Line> ReadAsync(RecordQuery query, CancellationToken cancellationToken) => AsyncEnumerable.Empty<Line>();

        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Line> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }
}
