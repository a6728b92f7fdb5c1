using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Hosting;

/// <summary>
/// Bad configuration fails loudly and early: per-job settings when the job's options are read (and at host start-up),
/// what spans jobs when the engine options are read, builder misuse at registration. Every message names the job and
/// the setting.
/// </summary>
public sealed class ValidationTests
{
    private const string Job = "order-submit";

    [Fact]
    public void Interval_Negative_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Configure(o => o.Interval = TimeSpan.FromMinutes(-5)));

        Assert.Contains("Job 'order-submit': Interval must be at least 00:00:01 (was -00:05:00).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeZone_Unknown_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Configure(o =>
        {
            o.DailyAt = "02:00";
            o.TimeZone = "Mars/Olympus_Mons";
        }));

        Assert.Contains("Job 'order-submit': TimeZone 'Mars/Olympus_Mons' is not a known time zone id", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DailyAt_NotATimeOfDay_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Configure(o => o.DailyAt = "02:00, 25:00"));

        Assert.Contains("Job 'order-submit': DailyAt '25:00' is not a time of day in HH:mm form", message, StringComparison.Ordinal);
        Assert.DoesNotContain("'02:00'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cron_Invalid_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Configure(o => o.Cron = "61 * * * *"));

        Assert.Contains("Job 'order-submit': Cron '61 * * * *' is not a valid cron expression", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddJob_DuplicateName_ThrowsAtRegistration()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs =>
        {
            AddJob(jobs);
            jobs.AddJob("Order-Submit", (_, _) => ValueTask.FromResult(JobResult.Success));
        }));

        Assert.Contains("'Order-Submit' is already registered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddJob_DuplicateNameAcrossRecordAndPlainJobs_ThrowsAtRegistration()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs =>
        {
            AddRecordJob(jobs);
            AddJob(jobs);
        }));

        Assert.Contains($"'{Job}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_UnknownJob_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Schedule(Schedule.After("product-refresh")));

        Assert.Contains("Job 'order-submit': After names 'product-refresh', which is not a registered job.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_TheJobItself_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Schedule(Schedule.After(Job)));

        Assert.Contains("Job 'order-submit': After names the job itself.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_Cycle_NamesTheJobsOfTheCycle()
    {
        var message = EngineOptionsError(jobs =>
        {
            jobs.AddJob("a", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("b"));
            jobs.AddJob("b", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("a"));
        });

        Assert.Contains("Jobs 'a' → 'b' → 'a' form a cycle of After schedules.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_LongerCycle_NamesEveryJobOfTheCycle()
    {
        var message = EngineOptionsError(jobs =>
        {
            jobs.AddJob("product-refresh", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("rebuild-search-index"));
            jobs.AddJob("price-refresh", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("product-refresh"));
            jobs.AddJob("rebuild-search-index", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("price-refresh"));
            jobs.AddJob("unrelated", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("price-refresh"));
        });

        Assert.Contains("form a cycle of After schedules", message, StringComparison.Ordinal);
        Assert.Contains("'product-refresh'", message, StringComparison.Ordinal);
        Assert.Contains("'price-refresh'", message, StringComparison.Ordinal);
        Assert.Contains("'rebuild-search-index'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("'unrelated'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_Chain_WithoutCycle_IsValid()
    {
        using var provider = CreateSut(jobs =>
        {
            jobs.AddJob("product-refresh", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJob("rebuild-search-index", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("product-refresh"));
            jobs.AddJob("warm-cache", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("rebuild-search-index", AfterCondition.AnyOutcome));
        });

        _ = provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value;
        Assert.Equal("rebuild-search-index", provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get("warm-cache").After);
    }

    [Fact]
    public void RetryWindowMaxRetries_Negative_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddRecordJob(jobs).Configure(o => o.RetryWindow.MaxRetries = -1));

        Assert.Contains("Job 'order-submit': RetryWindow.MaxRetries must be between 0 and 100 (was -1).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchSize_Zero_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddRecordJob(jobs).Configure(o => o.BatchSize = 0));

        Assert.Contains("Job 'order-submit': BatchSize must be between 1 and 100000 (was 0).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxConcurrency_Zero_NamesJobAndSetting()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Configure(o => o.MaxConcurrency = 0));

        Assert.Contains("Job 'order-submit': MaxConcurrency must be between 1 and 1000 (was 0).", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CleanupRunsPerDay", "25", "CleanupRunsPerDay must be between 0 and 24 (was 25).")]
    [InlineData("MaxArchivedRuns", "0", "MaxArchivedRuns must be between 1 and 100000 (was 0).")]
    [InlineData("MaxItemsToSkip", "-1", "MaxItemsToSkip must be between 0 and")]
    [InlineData("RetryWindow:Window", "00:00:00", "RetryWindow.Window must be between 00:00:01 and 1.00:00:00 (was 00:00:00).")]
    [InlineData("RetryWindow:BaseDelay", "00:05:00", "RetryWindow.BaseDelay must be between 00:00:00.0010000 and 00:01:00 (was 00:05:00).")]
    [InlineData("HistoryRetention", "-1.00:00:00", "HistoryRetention must be positive (was -1.00:00:00).")]
    [InlineData("MaxAge", "00:00:00", "MaxAge must be positive (was 00:00:00).")]
    [InlineData("Interval", "00:00:00.5000000", "Interval must be at least 00:00:01 (was 00:00:00.5000000).")]
    public void Configuration_OutOfRangeSetting_NamesJobAndSetting(string setting, string value, string expected)
    {
        var message = JobOptionsError(jobs => AddRecordJob(jobs), Config(($"CommerceJobs:Jobs:{Job}:{setting}", value)));

        Assert.Contains($"Job 'order-submit': {expected}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeliverTo_UnknownTarget_NamesJobAndTarget()
    {
        var message = EngineOptionsError(jobs => jobs.AddRecordJob<Foo>("x").ReadFrom(new FooSource()).DeliverTo("nope"));

        Assert.Contains("Job 'x': DeliverTo names target 'nope', which is not registered.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordJob_WithoutSource_NamesJobAndWhatIsMissing()
    {
        var message = EngineOptionsError(jobs => jobs.AddRecordJob<Foo>("x").DeliverTo(new FooTarget()));

        Assert.Contains("Job 'x': no record source; call ReadFrom.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordJob_WithoutTarget_NamesJobAndWhatIsMissing()
    {
        var message = EngineOptionsError(jobs => jobs.AddRecordJob<Foo>("x").ReadFrom(new FooSource()));

        Assert.Contains("Job 'x': no delivery target; call DeliverTo.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordJob_RecordWithoutId_NamesJobAndWhatIsMissing()
    {
        var message = EngineOptionsError(jobs => jobs.AddRecordJob<string>("x").ReadFrom(new StringSource()).DeliverTo(new StringTarget()));

        Assert.Contains("Job 'x': records of type String have no id; implement IRecord or call WithKey.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_BatchSizeZero_NamesJobAndSetting()
    {
        var message = JobOptionsError(
            jobs => AddRecordJob(jobs).Batch(size: 100),
            Config(("CommerceJobs:Jobs:order-submit:BatchSize", "0")));

        Assert.Contains("Job 'order-submit': BatchSize must be between 1 and 100000 (was 0).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_MaxRetriesNegative_NamesJobAndSetting()
    {
        var message = JobOptionsError(
            jobs => AddRecordJob(jobs).RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60)),
            Config(("CommerceJobs:Jobs:order-submit:RetryWindow:MaxRetries", "-1")));

        Assert.Contains("Job 'order-submit': RetryWindow.MaxRetries must be between 0 and 100 (was -1).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_DailyAtAndTimeZone_AreValidatedToo()
    {
        var message = JobOptionsError(
            jobs => AddJob(jobs).Schedule(Schedule.DailyAt("02:00", "Europe/Berlin")),
            Config(("CommerceJobs:Jobs:order-submit:DailyAt", "25:00"), ("CommerceJobs:Jobs:order-submit:TimeZone", "Mars/Olympus_Mons")));

        Assert.Contains("Job 'order-submit': DailyAt '25:00'", message, StringComparison.Ordinal);
        Assert.Contains("Job 'order-submit': TimeZone 'Mars/Olympus_Mons'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_OverridesCodeValues()
    {
        using var provider = CreateSut(
            jobs => AddRecordJob(jobs).Batch(size: 100, maxItemsToSkip: 10).RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60)),
            Config(
                ("CommerceJobs:Jobs:order-submit:BatchSize", "250"),
                ("CommerceJobs:Jobs:order-submit:RetryWindow:Window", "00:02:00")));

        var options = provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get(Job);

        Assert.Equal(250, options.BatchSize);
        Assert.Equal(TimeSpan.FromMinutes(2), options.RetryWindow.Window);
        Assert.Equal(10, options.MaxItemsToSkip);   // not in configuration: the code's value stays
        Assert.Equal(3, options.RetryWindow.MaxRetries);
    }

    [Fact]
    public void Configuration_JobNameInAnyCase_StillBinds()
    {
        using var provider = CreateSut(jobs => AddRecordJob(jobs).Batch(size: 100), Config(("CommerceJobs:Jobs:Order-Submit:BatchSize", "250")));

        Assert.Equal(250, provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get(Job).BatchSize);
    }

    [Fact]
    public void Configuration_JobAddedByALaterAddCommerceJobsCall_IsBoundToo()
    {
        var configuration = Config(("CommerceJobs:Jobs:price-export:BatchSize", "250"));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCommerceJobs(configuration.GetSection("CommerceJobs"), jobs => AddRecordJob(jobs));
        services.AddCommerceJobs(jobs => jobs.AddRecordJob<Foo>("price-export").ReadFrom(new FooSource()).DeliverTo(new FooTarget()));
        using var provider = services.BuildServiceProvider();

        Assert.Equal(250, provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get("price-export").BatchSize);
    }

    [Fact]
    public void StartUp_validation_reports_every_bad_job_together()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddJob("a", (_, _) => ValueTask.FromResult(JobResult.Success)).Configure(o => o.MaxConcurrency = 0);
            jobs.AddJob("b", (_, _) => ValueTask.FromResult(JobResult.Success)).Configure(o => o.DailyAt = "25:00");
        });
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);

        Assert.Contains("Job 'a': MaxConcurrency must be between 1 and 1000 (was 0).", ex.Failures);
        Assert.Contains("Job 'b': DailyAt '25:00' is not a time of day in HH:mm form (00:00 to 23:59).", ex.Failures);
    }

    [Fact]
    public void InboxJob_RetryWindowLongerThanHalfTheLease_NamesJobAndSettings()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCommerceJobs(jobs =>
        {
            jobs.Configure(o => o.LeaseDuration = TimeSpan.FromMinutes(1));
            jobs.AddRecordJob<Foo>("shipment-upload").ReadFromInbox().DeliverTo(new FooTarget()).RetryWithin(3, TimeSpan.FromMinutes(2));
        });
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);

        Assert.Contains("Job 'shipment-upload': RetryWindow.Window (00:02:00) must be at most half of CommerceJobs:LeaseDuration (00:01:00)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_EngineOptions_AreValidated()
    {
        var message = EngineOptionsError(jobs => AddJob(jobs), Config(("CommerceJobs:MaxConcurrentRuns", "0")));

        Assert.Contains("CommerceJobs: MaxConcurrentRuns must be between 1 and 1024 (was 0).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_ControlRefreshInterval_IsValidated()
    {
        var message = EngineOptionsError(jobs => AddJob(jobs), Config(("CommerceJobs:ControlRefreshInterval", "00:00:00.5")));

        Assert.Contains("CommerceJobs: ControlRefreshInterval must be between 00:00:01 and 1.00:00:00, or Timeout.InfiniteTimeSpan", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_BadValueFromConfiguration_ThrowsWithJobAndSetting()
    {
        using var host = CreateHost(("CommerceJobs:Jobs:order-submit:BatchSize", "0"));

        var ex = await Record.ExceptionAsync(() => host.StartAsync(CancellationToken.None));

        Assert.NotNull(ex);
        var messages = Flatten(ex).OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.Contains("Job 'order-submit': BatchSize must be between 1 and 100000 (was 0).", messages);
    }

    [Fact]
    public async Task StartAsync_ValidConfiguration_StartsAndStops()
    {
        using var host = CreateHost(("CommerceJobs:Jobs:order-submit:BatchSize", "250"));

        await host.StartAsync(CancellationToken.None);
        await host.StopAsync(CancellationToken.None);

        Assert.Equal(250, host.Services.GetRequiredService<IOptionsMonitor<JobOptions>>().Get(Job).BatchSize);
    }

    private static JobBuilder AddJob(CommerceJobsBuilder jobs)
        => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success));

    private static RecordJobBuilder<Foo> AddRecordJob(CommerceJobsBuilder jobs)
        => jobs.AddRecordJob<Foo>(Job).ReadFrom(new FooSource()).DeliverTo(new FooTarget());

    private static IConfiguration Config(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static ServiceProvider CreateSut(Action<CommerceJobsBuilder> configure, IConfiguration? configuration = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero)));
        services.AddCommerceJobs(jobs =>
        {
            if (configuration is not null)
            {
                jobs.BindConfiguration(configuration.GetSection("CommerceJobs"));
            }

            configure(jobs);
        });
        return services.BuildServiceProvider();
    }

    /// <summary>Reads the job's options, which validates them, and returns the validation message.</summary>
    private static string JobOptionsError(Action<CommerceJobsBuilder> configure, IConfiguration? configuration = null)
    {
        using var provider = CreateSut(configure, configuration);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get(Job)).Message;
    }

    /// <summary>Reads the engine's options, which validates what spans jobs, and returns the validation message.</summary>
    private static string EngineOptionsError(Action<CommerceJobsBuilder> configure, IConfiguration? configuration = null)
    {
        using var provider = CreateSut(configure, configuration);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value).Message;
    }

    private static IHost CreateHost(params (string Key, string Value)[] configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(configuration.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero)));
        builder.Services.AddCommerceJobs(builder.Configuration.GetSection("CommerceJobs"), jobs => AddRecordJob(jobs).Batch(size: 100));
        return builder.Build();
    }

    private static IEnumerable<Exception> Flatten(Exception ex)
        => ex is AggregateException aggregate ? aggregate.Flatten().InnerExceptions.SelectMany(Flatten) : [ex];

    public sealed record Foo(string RecordId) : IRecord;

    private sealed class FooSource : IRecordSource<Foo>
    {
        public IAsyncEnumerable<Foo> ReadAsync(RecordQuery query, CancellationToken cancellationToken) => AsyncEnumerable.Empty<Foo>();
    }

    private sealed class FooTarget : IDeliveryTarget<Foo>
    {
        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Foo> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }

    private sealed class StringSource : IRecordSource<string>
    {
        public IAsyncEnumerable<string> ReadAsync(RecordQuery query, CancellationToken cancellationToken) => AsyncEnumerable.Empty<string>();
    }

    private sealed class StringTarget : IDeliveryTarget<string>
    {
        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<string> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }
}
