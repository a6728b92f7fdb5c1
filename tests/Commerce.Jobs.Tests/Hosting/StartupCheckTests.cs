using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Hosting;

/// <summary>
/// Mistakes that used to pass registration and surface only later (or never): job names a URL cannot address,
/// configuration for jobs that do not exist, a mistyped zone in code, services a record job resolves that nobody
/// registered. Each stops the host at registration or start-up with a message naming the job.
/// </summary>
public sealed class StartupCheckTests
{
    private const string Job = "order-submit";

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void AddJob_DotSegmentName_IsRefusedAtRegistration(string name)
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs => jobs.AddJob(name, (_, _) => ValueTask.FromResult(JobResult.Success))));

        Assert.Contains($"'{name}' is not a valid job name", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void AddRecordJob_DotSegmentName_IsRefusedAtRegistration(string name)
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs => jobs.AddRecordJob<Foo>(name)));

        Assert.Contains($"'{name}' is not a valid job name", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a?b")]
    [InlineData("a#b")]
    [InlineData("a%2Fb")]
    [InlineData(" order-submit")]
    [InlineData("order-submit ")]
    [InlineData("order\r\nsubmit")]
    [InlineData("order\0submit")]
    [InlineData("bestellübermittlung")]
    public void AddJob_NameThatIsNoPlainPathSegment_IsRefusedAtRegistration(string name)
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs => jobs.AddJob(name, (_, _) => ValueTask.FromResult(JobResult.Success))));

        Assert.Contains("is not a valid job name", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', ex.Message);
        Assert.DoesNotContain('\0', ex.Message);
    }

    /// <summary>The rule: a name the registry accepts is a URL path segment as it is — nothing to encode, nothing a URL resolves away.</summary>
    [Property(MaxTest = 500)]
    public Property Accepted_job_names_are_url_path_segments_as_they_are() => Prop.ForAll(HostileNames.ToArbitrary(), name =>
    {
        var services = new ServiceCollection();
        try
        {
            services.AddCommerceJobs(jobs => jobs.AddJob(name, (_, _) => ValueTask.FromResult(JobResult.Success)));
        }
        catch (ArgumentException)
        {
            return true;
        }

        var url = new Uri(new Uri("http://127.0.0.1/jobs/api/jobs/"), name + "/runs");
        return Uri.EscapeDataString(name) == name
            && url.AbsolutePath == $"/jobs/api/jobs/{name}/runs"
            && name.Trim() == name;
    });

    [Fact]
    public void Configuration_ForAJobThatIsNotDeclared_NamesItAndTheClosestJob()
    {
        var message = EngineOptionsError(
            jobs => AddRecordJob(jobs),
            Config(("CommerceJobs:Jobs:order-sumbit:BatchSize", "5")));

        Assert.Contains("CommerceJobs:Jobs:order-sumbit configures a job that is not declared (did you mean 'order-submit'?)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_ForAJobFarFromEveryName_NamesItWithoutAGuess()
    {
        var message = EngineOptionsError(
            jobs => AddRecordJob(jobs),
            Config(("CommerceJobs:Jobs:nightly-maintenance:MaxArchivedRuns", "5")));

        Assert.Contains("CommerceJobs:Jobs:nightly-maintenance configures a job that is not declared; fix the name", message, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_ForDeclaredJobsAndTargets_InAnyCase_IsAccepted()
    {
        using var provider = CreateSut(
            jobs =>
            {
                jobs.AddTarget("erp", _ => new NamedTarget());
                AddRecordJob(jobs);
                jobs.AddRecordJob<Foo>("typed").ReadFrom(new FooSource()).DeliverTo(new FooTarget());
            },
            Config(
                ("CommerceJobs:Jobs:Order-Submit:BatchSize", "5"),
                ("CommerceJobs:Targets:ERP:MaxConcurrency", "2"),
                ("CommerceJobs:Targets:typed:MaxConcurrency", "2")));

        Assert.NotNull(provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);
    }

    [Fact]
    public void Configuration_ForATargetThatIsNotDeclared_NamesIt()
    {
        var message = EngineOptionsError(
            jobs =>
            {
                jobs.AddTarget("erp", _ => new NamedTarget());
                AddRecordJob(jobs);
            },
            Config(("CommerceJobs:Targets:epr:MaxConcurrency", "2")));

        Assert.Contains("CommerceJobs:Targets:epr configures a delivery target that is not declared (did you mean 'erp'?)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_ForAnEntityTypeNotDeclaredInCode_IsAccepted_ItMayBeConfiguredAtRunTime()
    {
        using var provider = CreateSut(
            jobs =>
            {
                jobs.AddTarget("search", _ => new NamedTarget());
                jobs.AddEntitySync("categories").DeliverTo("search");
            },
            Config(("CommerceJobs:EntitySync:buyers:BatchSize", "50")));

        Assert.NotNull(provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);
    }

    [Fact]
    public async Task StartAsync_ConfigurationForAJobThatIsNotDeclared_Throws()
    {
        using var host = CreateHost(jobs => AddRecordJob(jobs), ("CommerceJobs:Jobs:order-sumbit:BatchSize", "5"));

        var ex = await Record.ExceptionAsync(() => host.StartAsync(CancellationToken.None));

        Assert.NotNull(ex);
        Assert.Contains(Flatten(ex).OfType<OptionsValidationException>().SelectMany(e => e.Failures), f => f.StartsWith("CommerceJobs:Jobs:order-sumbit ", StringComparison.Ordinal));
    }

    [Fact]
    public void RetryWindow_ZeroWindow_GivesOneMessage()
    {
        var message = JobOptionsError(jobs => AddRecordJob(jobs).Configure(o => o.RetryWindow.Window = TimeSpan.Zero));

        Assert.Contains("Job 'order-submit': RetryWindow.Window must be between 00:00:01 and 1.00:00:00 (was 00:00:00).", message, StringComparison.Ordinal);
        Assert.DoesNotContain("BaseDelay", message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetryWindow_BaseDelayLongerThanAValidWindow_IsStillRefused()
    {
        var message = JobOptionsError(jobs => AddRecordJob(jobs).Configure(o =>
        {
            o.RetryWindow.Window = TimeSpan.FromSeconds(10);
            o.RetryWindow.BaseDelay = TimeSpan.FromSeconds(20);
        }));

        Assert.Contains("Job 'order-submit': RetryWindow.BaseDelay must be between 00:00:00.0010000 and 00:00:10 (was 00:00:20).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DailyAt_UnknownZoneInCode_IsReportedWithTheJobsName()
    {
        var message = JobOptionsError(jobs => AddJob(jobs).Schedule(Schedule.DailyAt("02:30", "Europe/Berln")));

        Assert.Contains("Job 'order-submit': TimeZone 'Europe/Berln' is not a known time zone id", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_UnknownZoneInCode_ThrowsWithTheJobsName()
    {
        using var host = CreateHost(jobs => AddJob(jobs).Schedule(Schedule.DailyAt("02:30", "Europe/Berln")));

        var ex = await Record.ExceptionAsync(() => host.StartAsync(CancellationToken.None));

        Assert.NotNull(ex);
        Assert.Contains(
            "Job 'order-submit': TimeZone 'Europe/Berln' is not a known time zone id (IANA, such as Europe/Berlin, or Windows).",
            Flatten(ex).OfType<OptionsValidationException>().SelectMany(e => e.Failures));
    }

    [Fact]
    public void RecordJob_SourceNotRegistered_NamesJobAndType()
    {
        var message = EngineOptionsError(jobs => jobs.AddRecordJob<Foo>(Job).ReadFrom<FooSource>().DeliverTo(new FooTarget()));

        Assert.Contains("Job 'order-submit': the record source FooSource is not registered;", message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordJob_TargetNotRegistered_NamesJobAndType()
    {
        var message = EngineOptionsError(jobs => jobs.AddRecordJob<Foo>(Job).ReadFrom(new FooSource()).DeliverTo<FooTarget>());

        Assert.Contains("Job 'order-submit': the delivery target FooTarget is not registered;", message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordJob_StatusSinkNotRegistered_NamesJobAndType()
    {
        var message = EngineOptionsError(jobs => AddRecordJob(jobs).ReportStatusTo<FooSink>());

        Assert.Contains("Job 'order-submit': the status sink FooSink is not registered;", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_RecordJobServiceNotRegistered_ThrowsWithJobAndType_WithoutConstructingAnything()
    {
        using var host = CreateHost(jobs => jobs.AddRecordJob<Foo>(Job).ReadFrom<FooSource>().DeliverTo(new FooTarget()));

        var ex = await Record.ExceptionAsync(() => host.StartAsync(CancellationToken.None));

        Assert.NotNull(ex);
        Assert.Contains(Flatten(ex).OfType<OptionsValidationException>().SelectMany(e => e.Failures), f => f.StartsWith("Job 'order-submit': the record source FooSource is not registered;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_RecordJobServicesTheHostRegistered_Starts()
    {
        using var host = CreateHost(
            jobs =>
            {
                jobs.Services.AddSingleton<FooSource>();
                jobs.Services.AddScoped<FooTarget>();
                jobs.Services.AddTransient<FooSink>();
                jobs.AddRecordJob<Foo>(Job).ReadFrom<FooSource>().DeliverTo<FooTarget>().ReportStatusTo<FooSink>();
            });

        await host.StartAsync(CancellationToken.None);
        await host.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void ReadFrom_WithoutLifetime_DoesNotRegisterTheSource()
    {
        var services = new ServiceCollection();

        services.AddCommerceJobs(jobs => jobs.AddRecordJob<Foo>(Job).ReadFrom<FooSource>().DeliverTo<FooTarget>().ReportStatusTo<FooSink>());

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(FooSource) || d.ServiceType == typeof(FooTarget) || d.ServiceType == typeof(FooSink));
    }

    [Fact]
    public void ReadFrom_WithLifetime_RegistersTheSourceOnce_UnlessTheHostDid()
    {
        var services = new ServiceCollection();
        services.AddScoped<FooTarget>();

        services.AddCommerceJobs(jobs => jobs.AddRecordJob<Foo>(Job)
            .ReadFrom<FooSource>(ServiceLifetime.Singleton)
            .DeliverTo<FooTarget>(ServiceLifetime.Singleton)
            .ReportStatusTo<FooSink>(ServiceLifetime.Transient));

        Assert.Equal(ServiceLifetime.Singleton, Assert.Single(services, d => d.ServiceType == typeof(FooSource)).Lifetime);
        Assert.Equal(ServiceLifetime.Scoped, Assert.Single(services, d => d.ServiceType == typeof(FooTarget)).Lifetime);
        Assert.Equal(ServiceLifetime.Transient, Assert.Single(services, d => d.ServiceType == typeof(FooSink)).Lifetime);
    }

    private static JobBuilder AddJob(CommerceJobsBuilder jobs)
        => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success));

    private static RecordJobBuilder<Foo> AddRecordJob(CommerceJobsBuilder jobs)
        => jobs.AddRecordJob<Foo>(Job).ReadFrom(new FooSource()).DeliverTo(new FooTarget());

    /// <summary>Names from the characters that matter in a URL path segment, in short runs, plus plain ones.</summary>
    private static Gen<string> HostileNames { get; } =
        Gen.OneOf(
            Gen.Elements(".", "..", "...", "a.", ".a", "order-submit", "a_b", "A-1"),
            Gen.Elements('.', '/', '\\', '?', '#', '%', ' ', '\t', '\r', '\n', '\0', 'a', 'Z', '9', '-', '_', 'é', '\ud800', '+', ':', ';', '@', '&', '=', '~')
                .ArrayOf()
                .Select(chars => new string(chars)),
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null));

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

    private static string JobOptionsError(Action<CommerceJobsBuilder> configure, IConfiguration? configuration = null)
    {
        using var provider = CreateSut(configure, configuration);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get(Job)).Message;
    }

    private static string EngineOptionsError(Action<CommerceJobsBuilder> configure, IConfiguration? configuration = null)
    {
        using var provider = CreateSut(configure, configuration);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value).Message;
    }

    private static IHost CreateHost(Action<CommerceJobsBuilder> configure, params (string Key, string Value)[] configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(configuration.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero)));
        builder.Services.AddCommerceJobs(builder.Configuration.GetSection("CommerceJobs"), configure);
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

    private sealed class FooSink : IRecordStatusSink<Foo>
    {
        public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Foo> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NamedTarget : IDeliveryTarget
    {
        public string Name => "erp";

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }
}
