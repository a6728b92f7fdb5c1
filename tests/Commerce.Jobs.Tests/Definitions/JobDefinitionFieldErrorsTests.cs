using Commerce.Jobs.Definitions;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Commerce.Jobs.Tests.Definitions.JobDefinitionTests;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>A refused update keys each message by the field it concerns (<see cref="JobDefinitionValidationException.FieldErrors"/>), for a form to show it there.</summary>
public sealed class JobDefinitionFieldErrorsTests
{
    [Theory]
    [InlineData(JobDefinitionFields.Interval, "ten minutes")]
    [InlineData(JobDefinitionFields.Interval, "00:00:00")]
    [InlineData(JobDefinitionFields.BatchSize, "-5")]
    [InlineData(JobDefinitionFields.RetryWindowMaxRetries, "500")]
    [InlineData(JobDefinitionFields.RetryWindowWindow, "2.00:00:00")]
    [InlineData(JobDefinitionFields.MaxAge, "-00:01:00")]
    [InlineData(JobDefinitionFields.MaxArchivedRuns, "0")]
    [InlineData(JobDefinitionFields.MaxConcurrency, "1001")]
    [InlineData(JobDefinitionFields.CleanupRunsPerDay, "25")]
    [InlineData(JobDefinitionFields.HistoryRetention, "00:00:00")]
    [InlineData(JobDefinitionFields.DailyAt, "25:00")]
    [InlineData(JobDefinitionFields.TimeZone, "Mars/Olympus")]
    [InlineData(JobDefinitionFields.Cron, "every day")]
    [InlineData(JobDefinitionFields.NotifyOnFailure, "maybe")]
    [InlineData("MaxConcurency", "2")]
    public async Task Each_message_is_keyed_by_its_field(string field, string value)
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok).Schedule(Schedule.Every(TimeSpan.FromMinutes(10))));

        var refused = await Assert.ThrowsAsync<JobDefinitionValidationException>(async () =>
            await DefinitionsOf(sut).UpdateAsync("export", new Dictionary<string, string?> { [field] = value }, null, null, default));

        var keyed = Assert.Single(refused.FieldErrors);
        Assert.Equal(field, keyed.Key);
        Assert.Equal(refused.Errors, keyed.Value);
    }

    [Fact]
    public async Task Several_bad_fields_are_each_under_their_own_key_and_a_field_named_in_other_case_under_its_own_name()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok));

        var refused = await Assert.ThrowsAsync<JobDefinitionValidationException>(async () => await DefinitionsOf(sut).UpdateAsync(
            "export",
            new Dictionary<string, string?> { ["batchsize"] = "0", [JobDefinitionFields.MaxConcurrency] = "0", ["retrywindow:maxretries"] = "101" },
            null,
            null,
            default));

        Assert.Equal(
            [JobDefinitionFields.BatchSize, JobDefinitionFields.MaxConcurrency, JobDefinitionFields.RetryWindowMaxRetries],
            refused.FieldErrors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(refused.Errors.Order(StringComparer.Ordinal), refused.FieldErrors.Values.SelectMany(m => m).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_host_rule_is_keyed_by_the_setting_it_names_first_and_a_message_naming_none_by_the_empty_key()
    {
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("export", Ok),
            services: s => s.AddSingleton<IValidateOptions<JobOptions>>(new HostRules()));

        var refused = await Assert.ThrowsAsync<JobDefinitionValidationException>(async () =>
            await DefinitionsOf(sut).UpdateAsync("export", new Dictionary<string, string?> { [JobDefinitionFields.BatchSize] = "600", [JobDefinitionFields.MaxConcurrency] = "2" }, null, null, default));

        Assert.Equal(["Job 'export': BatchSize 500 or more needs MaxConcurrency 1."], refused.FieldErrors[JobDefinitionFields.BatchSize]);
        Assert.Equal(["Large batches are for the night shift."], refused.FieldErrors[string.Empty]);
    }

    [Theory]
    [InlineData("Job 'export': Interval must be at least 00:00:01 (was 00:00:00).", "Interval")]
    [InlineData("Job 'export': RetryWindow.MaxRetries must be between 0 and 100 (was 500).", "RetryWindow:MaxRetries")]
    [InlineData("Job 'export': RetryWindow.Window (1.00:00:00) must be at most half of CommerceJobs:LeaseDuration.", "RetryWindow:Window")]
    [InlineData("Job 'export': RetryWindow.BaseDelay must be between 00:00:00.0010000 and 00:01:00 (was 00:00:00).", "")]
    [InlineData("Job 'export': MaxAgeLimit is not a setting.", "")]
    [InlineData("Job 'export': IntervalAnchor must be in the past.", "")]
    [InlineData("Job 'export': MaxArchivedRuns must be between 1 and 100000 (was 0).", "MaxArchivedRuns")]
    [InlineData("Job 'export': the schedule cannot tell its next run (no fire).", "")]
    [InlineData("Job 'other': BatchSize must be between 1 and 100000 (was 0).", "")]
    [InlineData("BatchSize must be between 1 and 100000 (was 0).", "")]
    [InlineData("Job 'export': BatchSize", "BatchSize")]
    [InlineData("", "")]
    public void A_message_is_keyed_by_the_setting_it_starts_with(string message, string field)
        => Assert.Equal(field, JobDefinitionService.FieldOf("export", message));

    private sealed class HostRules : IValidateOptions<JobOptions>
    {
        public ValidateOptionsResult Validate(string? name, JobOptions options)
            => options.BatchSize >= 500 && options.MaxConcurrency > 1
                ? ValidateOptionsResult.Fail([$"Job '{name}': BatchSize 500 or more needs MaxConcurrency 1.", "Large batches are for the night shift."])
                : ValidateOptionsResult.Success;
    }
}
