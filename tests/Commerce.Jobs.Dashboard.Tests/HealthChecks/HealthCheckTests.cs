using System.Net;
using Commerce.Jobs.Dashboard.HealthChecks;
using Commerce.Jobs.Dashboard.Tests.Api;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Commerce.Jobs.Dashboard.Tests.HealthChecks;

public sealed class HealthCheckTests
{
    [Fact]
    public async Task A_job_failing_n_times_in_a_row_makes_the_host_unhealthy_until_it_succeeds_or_is_disabled()
    {
        await using var host = await DashboardHost.StartAsync(health: o => o.ConsecutiveFailures = 2);
        using var client = await host.CreateSessionAsync();
        using var probe = new HttpClient { BaseAddress = host.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/healthz")).StatusCode);
        await (await client.PostAsync("/jobs/api/jobs/erp-health/run?wait=30")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/healthz")).StatusCode);
        await (await client.PostAsync("/jobs/api/jobs/erp-health/run?wait=30")).ReadJsonAsync(HttpStatusCode.OK);

        using var unhealthy = await probe.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("Unhealthy", await unhealthy.Content.ReadAsStringAsync());
        var report = await host.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["commerce-jobs"];
        Assert.Contains("job 'erp-health' failed 2 times in a row", entry.Description);
        Assert.Equal(["erp-health"], (string[])entry.Data["failingJobs"]);

        await (await client.PostAsync("/jobs/api/jobs/erp-health/disable")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/healthz")).StatusCode);
    }

    [Theory]
    [InlineData(TargetHealthState.Healthy, HealthStatus.Healthy)]
    [InlineData(TargetHealthState.Probing, HealthStatus.Degraded)]
    [InlineData(TargetHealthState.Unhealthy, HealthStatus.Unhealthy)]
    public async Task A_target_whose_circuit_is_open_makes_the_host_unhealthy(TargetHealthState state, HealthStatus expected)
    {
        // The circuit's own behaviour is tested in the engine (Targets); here only the mapping to a health status.
        var monitor = new FixedMonitor(new TargetHealth { TargetName = "erp", State = state, LastError = "503 Service Unavailable" });
        var check = new CommerceJobsHealthCheck(monitor, new CommerceJobsHealthCheckOptions());
        var registration = new HealthCheckRegistration("commerce-jobs", check, HealthStatus.Unhealthy, null);

        var result = await check.CheckHealthAsync(new HealthCheckContext { Registration = registration });

        Assert.Equal(expected, result.Status);
        if (expected == HealthStatus.Unhealthy)
        {
            Assert.Contains("target 'erp' is unhealthy", result.Description);
            Assert.Contains("503 Service Unavailable", result.Description);
        }
    }

    [Fact]
    public void At_least_one_failure_must_count()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddCommerceJobs(o => o.ConsecutiveFailures = 0));
    }

    private sealed class FixedMonitor(TargetHealth target) : IJobMonitor
    {
        public IReadOnlyList<JobStatus> GetStatuses() => [];

        public JobStatus GetStatus(string jobName) => throw new ArgumentException("none", nameof(jobName));

        public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken) => throw new ArgumentException("none", nameof(jobName));

        public ValueTask<IReadOnlyList<OperatorChange>> GetChangesAsync(string jobName, int limit, CancellationToken cancellationToken) => throw new ArgumentException("none", nameof(jobName));

        public IReadOnlyList<TargetHealth> GetTargetHealth() => [target];

        public Task WaitForIdleAsync(string jobName, CancellationToken cancellationToken) => throw new ArgumentException("none", nameof(jobName));
    }
}
