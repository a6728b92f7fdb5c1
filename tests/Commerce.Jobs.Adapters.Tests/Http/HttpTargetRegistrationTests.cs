using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.Tests.Http;

/// <summary><c>AddHttpTarget</c> wired into the engine: DI, the named HTTP client, options validation, a record job end to end.</summary>
public sealed class HttpTargetRegistrationTests(KestrelServer server) : IClassFixture<KestrelServer>
{
    private const string Secret = HttpTargetTests.Secret;
    private const string QueryKey = "fn-key-5c1d0e8b9a7f4e3d";

    [Fact]
    public async Task A_record_job_delivers_through_the_registered_target_and_no_log_line_holds_a_secret()
    {
        var endpoint = server.NewEndpoint();
        var orders = new InMemoryRecordSource<Order>(o => o.Id);
        orders.AddRange(Batches.Orders(5));
        var logs = new CapturingLoggerProvider();

        await using var host = await StartAsync(
            jobs =>
            {
                jobs.AddHttpTarget("erp", http =>
                {
                    http.Endpoint = new Uri(endpoint.Uri, $"?code={QueryKey}");
                    http.SigningSecret = Secret;
                });
                jobs.AddRecordJob<Order>("order-submit").ReadFrom(orders).ReportStatusTo(orders).DeliverTo("erp").WithKey(o => o.Id).Batch(size: 2);
            },
            logs);
        var result = await host.Services.GetRequiredService<IJobRunner>().RunAsync("order-submit", null, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(5, result.Counts.Delivered);
        Assert.Equal(3, endpoint.Requests.Count);
        Assert.All(endpoint.Requests, r => Assert.True(HttpTargetSignature.Verify(Secret, r.Header(HttpTargetSignature.HeaderName), r.Body, TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(5))));
        Assert.Equal(RecordStatus.Delivered, orders.GetStatus("1005").Status);
        Assert.Contains(logs.Lines, l => l.Contains("HTTP target erp answered 200 for 2 records", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("System.Net.Http.HttpClient.erp", StringComparison.Ordinal));
        Assert.All(logs.Lines, l => Assert.DoesNotContain(Secret, l, StringComparison.Ordinal));
        Assert.All(logs.Lines, l => Assert.DoesNotContain(QueryKey, l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_named_client_can_be_configured_by_the_host()
    {
        var endpoint = server.NewEndpoint();
        var orders = new InMemoryRecordSource<Order>(o => o.Id);
        orders.AddRange(Batches.Orders(1));

        await using var host = await StartAsync(
            jobs =>
            {
                jobs.AddHttpTarget("erp", http => http.Endpoint = endpoint.Uri);
                jobs.AddRecordJob<Order>("order-submit").ReadFrom(orders).ReportStatusTo(orders).DeliverTo("erp").WithKey(o => o.Id);
                jobs.Services.AddHttpClient("erp").AddHttpMessageHandler(() => new ApiKeyHandler());
            });
        await host.Services.GetRequiredService<IJobRunner>().RunAsync("order-submit", null, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal("erp-api-key", Assert.Single(endpoint.Requests).Header("X-Api-Key"));
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_fails_the_records_permanently()
    {
        var elsewhere = server.NewEndpoint();
        var endpoint = server.NewEndpoint(call =>
        {
            call.Context.Response.StatusCode = StatusCodes.Status302Found;
            call.Context.Response.Headers.Location = elsewhere.Uri.ToString();
            return Task.CompletedTask;
        });
        var orders = new InMemoryRecordSource<Order>(o => o.Id);
        orders.AddRange(Batches.Orders(2));

        await using var host = await StartAsync(
            jobs =>
            {
                jobs.AddHttpTarget("erp", http => http.Endpoint = endpoint.Uri);
                jobs.AddRecordJob<Order>("order-submit").ReadFrom(orders).ReportStatusTo(orders).DeliverTo("erp").WithKey(o => o.Id);
            });
        var result = (await Assert.ThrowsAsync<JobRunFailedException>(() => host.Services.GetRequiredService<IJobRunner>().RunAsync("order-submit", null, TimeSpan.FromSeconds(30), CancellationToken.None))).Result;

        Assert.Equal(2, result.Counts.Failed);
        var status = orders.GetStatus("1001");
        Assert.Equal(RecordStatus.PermanentFailure, status.Status);
        Assert.Contains("answered 302", status.Error, StringComparison.Ordinal);
        Assert.Contains("redirects are not followed", status.Error, StringComparison.Ordinal);
        Assert.Single(endpoint.Requests);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task A_record_job_in_per_record_mode_with_the_endpoint_down_marks_the_target_unhealthy()
    {
        var orders = new InMemoryRecordSource<Order>(o => o.Id);
        orders.AddRange(Batches.Orders(8));

        await using var host = await StartAsync(jobs =>
        {
            jobs.AddHttpTarget("erp", http =>
            {
                http.Endpoint = HttpTargetTests.ClosedPort();
                http.Mode = HttpTargetMode.PerRecord;
            });
            jobs.ConfigureTarget("erp", t =>
            {
                t.MinimumThroughput = 2;
                t.FailureRatio = 0.5;
                t.BreakDuration = TimeSpan.FromMinutes(10);
            });
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(orders).ReportStatusTo(orders).DeliverTo("erp").WithKey(o => o.Id)
                .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
        });
        await Assert.ThrowsAsync<JobRunFailedException>(() => host.Services.GetRequiredService<IJobRunner>().RunAsync("order-submit", null, TimeSpan.FromSeconds(30), CancellationToken.None));

        var health = Assert.Single(host.Services.GetRequiredService<IJobMonitor>().GetTargetHealth(), h => h.TargetName == "erp");
        Assert.Equal(TargetHealthState.Unhealthy, health.State);
        Assert.Contains("ConnectionError", health.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_settings_fail_validation_at_start_naming_the_target_and_setting_without_the_secret()
    {
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.AddHttpTarget("erp", http =>
        {
            http.SigningSecret = "short-secret";
            http.Timeout = TimeSpan.FromDays(2);
        }));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<HttpTargetOptions>>().Get("erp"));

        Assert.Contains("HTTP target 'erp': Endpoint is required.", ex.Failures);
        Assert.Contains("HTTP target 'erp': SigningSecret must be at least 16 characters (leave it null to send unsigned requests).", ex.Failures);
        Assert.Contains("HTTP target 'erp': Timeout must be between 00:00:00.001 and 1.00:00:00 (was 2.00:00:00).", ex.Failures);
        Assert.DoesNotContain("short-secret", ex.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    [Fact]
    public void A_target_name_is_taken_once()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs =>
        {
            jobs.AddHttpTarget("erp", http => http.Endpoint = new Uri("http://127.0.0.1/"));
            jobs.AddFileExportTarget("ERP", files => files.Folder = "exports");
        }));

        Assert.Contains("already registered", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<RunningHost> StartAsync(Action<CommerceJobsBuilder> configure, CapturingLoggerProvider? logs = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        services.AddCommerceJobs(configure);
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return new RunningHost(provider);
    }

    private sealed class RunningHost(ServiceProvider services) : IAsyncDisposable
    {
        public IServiceProvider Services => services;

        public async ValueTask DisposeAsync()
        {
            foreach (var hosted in services.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await services.DisposeAsync();
        }
    }

    private sealed class ApiKeyHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("X-Api-Key", "erp-api-key");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
