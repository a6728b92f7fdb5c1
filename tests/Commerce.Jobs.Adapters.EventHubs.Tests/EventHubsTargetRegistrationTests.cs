using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.EventHubs.Tests;

/// <summary><c>AddEventHubsTarget</c> wired into the engine's builder: named options validated at start-up.</summary>
public sealed class EventHubsTargetRegistrationTests
{
    [Fact]
    public void Invalid_settings_fail_validation_at_start_naming_the_target_and_setting_without_the_key()
    {
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.AddEventHubsTarget("events", hub =>
        {
            hub.ConnectionString = EventHubsTargetTests.ConnectionString;
            hub.MaxConcurrentSends = 100;
        }));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<EventHubsTargetOptions>>().Get("events"));

        Assert.Contains("Event Hubs target 'events': EventHubName is required (or an EntityPath in the connection string).", ex.Failures);
        Assert.Contains("Event Hubs target 'events': MaxConcurrentSends must be between 1 and 64 (was 100).", ex.Failures);
        Assert.DoesNotContain(EventHubsTargetTests.Key, ex.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    [Theory]
    [InlineData("not a connection string")]
    [InlineData("Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKeyName=send")]
    [InlineData("Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKey={key}")]
    [InlineData("SharedAccessKeyName=send;SharedAccessKey={key}")]
    [InlineData("Endpoint=;SharedAccessKeyName=send;SharedAccessKey={key}")]
    [InlineData("Endpoint=not a uri;SharedAccessKeyName=send;SharedAccessKey={key}")]
    [InlineData("Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKey={key};SharedAccessSignature=SharedAccessSignature sr=x&sig={key}")]
    public void A_malformed_connection_string_fails_validation_at_start_naming_the_target_and_setting_without_its_value(string connectionString)
    {
        connectionString = connectionString.Replace("{key}", EventHubsTargetTests.Key, StringComparison.Ordinal);
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.AddEventHubsTarget("events", hub =>
        {
            hub.ConnectionString = connectionString;
            hub.EventHubName = "orders";
        }));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<EventHubsTargetOptions>>().Get("events"));

        Assert.Contains(
            "Event Hubs target 'events': ConnectionString is not a valid Event Hubs connection string (it needs an Endpoint, and a SharedAccessKeyName with a SharedAccessKey or a SharedAccessSignature).",
            ex.Failures);
        Assert.DoesNotContain(EventHubsTargetTests.Key, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not a", ex.Message.Replace("not a valid", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("my-namespace", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={key}")]
    [InlineData("Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig={key}&se=1&skn=send")]
    public void A_connection_string_with_an_endpoint_and_a_key_or_a_signature_passes_validation(string connectionString)
    {
        var options = new EventHubsTargetOptions { ConnectionString = connectionString.Replace("{key}", EventHubsTargetTests.Key, StringComparison.Ordinal), EventHubName = "orders" };

        Assert.True(new EventHubsTargetOptionsValidator().Validate("events", options).Succeeded);
    }

    [Fact]
    public void A_namespace_with_a_credential_and_an_event_hub_passes_validation_at_start()
    {
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.AddEventHubsTarget("events", hub =>
        {
            hub.FullyQualifiedNamespace = "my-namespace.servicebus.windows.net";
            hub.Credential = new NoCredential();
            hub.EventHubName = "orders";
            hub.UsePartitionKey = false;
        }));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IOptionsMonitor<EventHubsTargetOptions>>().Get("events");
        Assert.False(options.UsePartitionKey);
        Assert.Equal(TimeSpan.FromSeconds(60), options.SendTimeout);
        Assert.Equal(4, options.MaxConcurrentSends);
    }

    private sealed class NoCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
