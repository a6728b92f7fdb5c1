using Commerce.Jobs.Adapters.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.IntegrationTests.Adapters.Kafka;

/// <summary>
/// The Kafka target on Event Hubs' Kafka-compatible endpoint, the settings the Event Hubs package README gives: port 9093,
/// SASL_SSL, PLAIN, user <c>$ConnectionString</c>, the connection string as password. No broker is reached: the options
/// validation and librdkafka (which checks every setting when the producer is built) must accept them.
/// </summary>
public sealed class KafkaEventHubsEndpointTests
{
    private const string SharedAccessKey = "c2VjcmV0LWtleS1kby1ub3QtbG9nLTAxMjM0NTY3ODk=";
    private const string ConnectionString = "Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=" + SharedAccessKey;

    [Fact]
    public void The_Event_Hubs_Kafka_endpoint_settings_are_accepted_by_the_options_validation_and_by_librdkafka()
    {
        var options = EventHubsEndpoint(new KafkaTargetOptions());

        Assert.True(new KafkaTargetOptionsValidator().Validate("events", options).Succeeded);
        using var target = new KafkaTarget("events", options, TimeProvider.System, NullLogger.Instance);
        Assert.Equal("orders", target.Topic);
    }

    [Fact]
    public void The_Event_Hubs_Kafka_endpoint_settings_pass_start_up_validation_through_AddKafkaTarget()
    {
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.AddKafkaTarget("events", kafka => EventHubsEndpoint(kafka)));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptionsMonitor<KafkaTargetOptions>>().Get("events");
        Assert.Equal("$ConnectionString", options.ProducerSettings["sasl.username"]);
    }

    [Fact]
    public void A_wrong_setting_beside_them_is_still_refused_without_repeating_the_connection_string()
    {
        var options = EventHubsEndpoint(new KafkaTargetOptions());
        options.ProducerSettings["sasl.mechanism"] = "NOT-A-MECHANISM";

        var ex = Assert.Throws<OptionsValidationException>(() => new KafkaTarget("events", options, TimeProvider.System, NullLogger.Instance));

        Assert.StartsWith("Kafka target 'events': the producer cannot be created from the settings", Assert.Single(ex.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain(SharedAccessKey, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The settings, as in the Event Hubs package README (section "Through the Kafka endpoint").</summary>
    private static KafkaTargetOptions EventHubsEndpoint(KafkaTargetOptions kafka)
    {
        kafka.BootstrapServers = "my-namespace.servicebus.windows.net:9093";
        kafka.Topic = "orders"; // the event hub
        kafka.ProducerSettings["security.protocol"] = "SASL_SSL";
        kafka.ProducerSettings["sasl.mechanism"] = "PLAIN";
        kafka.ProducerSettings["sasl.username"] = "$ConnectionString";
        kafka.ProducerSettings["sasl.password"] = ConnectionString;
        return kafka;
    }
}
