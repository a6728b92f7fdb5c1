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
