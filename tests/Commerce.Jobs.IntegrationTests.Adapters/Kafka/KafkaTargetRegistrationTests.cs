using Commerce.Jobs.Adapters;
using Commerce.Jobs.Adapters.Kafka;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Commerce.Jobs.IntegrationTests.Adapters.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.IntegrationTests.Adapters.Kafka;

/// <summary><c>AddKafkaTarget</c> wired into the engine: DI, options validation, a record job end to end, disposal with the container.</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaTargetRegistrationTests(KafkaMockCluster cluster)
{
    private const string Password = "kafka-sasl-password-7f3e";

    [Fact]
    public async Task A_record_job_produces_every_record_and_the_producer_is_disposed_with_the_host()
    {
        var topic = "orders-" + Guid.NewGuid().ToString("N");
        var orders = new InMemoryRecordSource<Order>(o => o.Id);
        orders.AddRange(Batches.Orders(5));
        var logs = new CapturingLoggerProvider();
        KafkaTarget target;

        await using (var host = await RunningHost.StartAsync(
            jobs =>
            {
                jobs.AddKafkaTarget("events", kafka =>
                {
                    kafka.BootstrapServers = cluster.BootstrapServers;
                    kafka.Topic = topic;
                    kafka.ProducerSettings["linger.ms"] = "1";
                });
                jobs.AddRecordJob<Order>("order-events").ReadFrom(orders).ReportStatusTo(orders).DeliverTo("events").WithKey(o => o.Id).Batch(size: 2);
            },
            logs))
        {
            var result = await host.Services.GetRequiredService<IJobRunner>().RunAsync("order-events", null, TimeSpan.FromSeconds(30), CancellationToken.None);

            Assert.Equal(JobOutcome.Succeeded, result.Outcome);
            Assert.Equal(5, result.Counts.Delivered);
            target = host.Services.GetRequiredKeyedService<KafkaTarget>("events");
        }

        var messages = cluster.ReadAll(topic);
        Assert.Equal(["1001", "1002", "1003", "1004", "1005"], messages.Select(m => m.Message.Key).Order());
        Assert.All(messages, m => Assert.Equal($"order-events:{m.Message.Key}", KafkaMockCluster.Header(m, "idempotency-key")));
        Assert.Equal(RecordStatus.Delivered, orders.GetStatus("1005").Status);
        Assert.Contains(logs.Lines, l => l.Contains("Kafka target events delivered 2 of 2 records to topic " + topic, StringComparison.Ordinal));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await target.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None));
    }

    [Fact]
    public void Invalid_settings_fail_validation_at_start_naming_the_target_and_setting_without_values()
    {
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.AddKafkaTarget("events", kafka =>
        {
            kafka.ProducerSettings["sasl.password"] = Password;
            kafka.ProducerSettings["transactional.id"] = "tx-1";
        }));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<KafkaTargetOptions>>().Get("events"));

        Assert.Contains("Kafka target 'events': BootstrapServers is required.", ex.Failures);
        Assert.Contains("Kafka target 'events': Topic is required.", ex.Failures);
        Assert.Contains(ex.Failures, f => f.StartsWith("Kafka target 'events': ProducerSettings['transactional.id'] cannot be set", StringComparison.Ordinal));
        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }
}
