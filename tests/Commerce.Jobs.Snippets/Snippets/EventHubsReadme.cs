using Azure.Core;
using Commerce.Jobs.Adapters.Kafka;

namespace Commerce.Jobs.Snippets.Packages;

public static class EventHubsReadme
{
    public static void ConnectionString(IServiceCollection services, WebApplicationBuilder builder)
    {
        #region eventhubs-usage
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddEventHubsTarget("events", hub =>
            {
                hub.ConnectionString = builder.Configuration["EventHubs:ConnectionString"];   // a namespace's, or a hub's with EntityPath
                hub.EventHubName = "orders";
            });
            jobs.AddRecordJob<Order>("order-events").ReadFrom<NewOrders>(ServiceLifetime.Scoped).DeliverTo("events").WithKey(o => o.Number);
            jobs.AddEntitySync("inventory").DeliverTo("events");
        });
        #endregion
    }

    public static void Credential(IServiceCollection services, TokenCredential credential)
    {
        #region eventhubs-credential
        services.AddCommerceJobs(jobs => jobs.AddEventHubsTarget("events", hub =>
        {
            hub.FullyQualifiedNamespace = "my-namespace.servicebus.windows.net";
            hub.Credential = credential;                  // e.g. new DefaultAzureCredential() from Azure.Identity
            hub.EventHubName = "orders";
            hub.UsePartitionKey = false;                  // spread load over partitions; one id's events may then arrive out of order
        }));
        #endregion
    }

    public static void KafkaEndpoint(IServiceCollection services, WebApplicationBuilder builder)
    {
        #region eventhubs-kafka-endpoint
        services.AddCommerceJobs(jobs => jobs.AddKafkaTarget("events", kafka =>
        {
            kafka.BootstrapServers = "my-namespace.servicebus.windows.net:9093";
            kafka.Topic = "orders";                                         // the event hub
            kafka.ProducerSettings["security.protocol"] = "SASL_SSL";
            kafka.ProducerSettings["sasl.mechanism"] = "PLAIN";
            kafka.ProducerSettings["sasl.username"] = "$ConnectionString";  // literally
            kafka.ProducerSettings["sasl.password"] = builder.Configuration["EventHubs:ConnectionString"]!;
        }));
        #endregion
    }
}
