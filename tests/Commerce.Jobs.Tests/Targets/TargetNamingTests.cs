using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Tests.Targets;

/// <summary>
/// A target declared on a job (a type or an instance) is named: explicitly, or after the job. The name keys its circuit
/// breaker, its concurrency limit and its options, so two instances of one class never share them by accident.
/// </summary>
public sealed class TargetNamingTests
{
    [Fact]
    public async Task Two_instances_of_one_target_class_on_two_jobs_without_names_have_a_breaker_each_named_after_the_job()
    {
        var failing = new OrderTarget { Failing = true };
        var working = new OrderTarget();
        var submitOrders = Orders(40);
        var exportOrders = Orders(40);
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.ConfigureTarget("order-submit", Breaks);
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(submitOrders).ReportStatusTo(submitOrders).DeliverTo(failing)
                .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
            jobs.AddRecordJob<Order>("order-export").ReadFrom(exportOrders).ReportStatusTo(exportOrders).DeliverTo(working)
                .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
        });

        await RunBothAsync(sut, "order-submit", "order-export");

        // ConfigureTarget("order-submit") took effect: the breaker opened after 4 calls, as configured.
        Assert.Equal(4, failing.Calls);
        Assert.Contains("Target 'order-submit' is unhealthy", sut.Runs.Single(r => r.JobName == "order-submit").Error);
        Assert.Equal(new RecordCounts(40, 40, 0, 0), sut.Runs.Single(r => r.JobName == "order-export").Counts);
        Assert.Equal(TargetHealthState.Unhealthy, Health(sut, "order-submit"));
        Assert.Equal(TargetHealthState.Healthy, Health(sut, "order-export"));
    }

    [Fact]
    public void Configuration_for_an_unnamed_target_is_read_under_the_job_name()
    {
        var cart = Orders(1);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("CommerceJobs:Targets:order-submit:MaxConcurrency", "7")])
            .Build();
        using var provider = CreateProvider(jobs =>
        {
            jobs.BindConfiguration(configuration.GetSection("CommerceJobs"));
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(cart).DeliverTo(new OrderTarget());
        });

        Assert.NotNull(provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);
        Assert.Equal(7, provider.GetRequiredService<IOptionsMonitor<TargetOptions>>().Get("order-submit").MaxConcurrency);
    }

    [Fact]
    public async Task Two_instances_of_one_target_class_under_distinct_names_have_a_breaker_each()
    {
        var failing = new OrderTarget { Failing = true };
        var working = new OrderTarget();
        var euOrders = Orders(40);
        var usOrders = Orders(40);
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.ConfigureTarget("erp-eu", Breaks);
            jobs.ConfigureTarget("erp-us", Breaks);
            jobs.AddRecordJob<Order>("submit-eu").ReadFrom(euOrders).ReportStatusTo(euOrders).DeliverTo("erp-eu", failing)
                .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
            jobs.AddRecordJob<Order>("submit-us").ReadFrom(usOrders).ReportStatusTo(usOrders).DeliverTo("erp-us", working)
                .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
        });

        await RunBothAsync(sut, "submit-eu", "submit-us");

        Assert.Equal(4, failing.Calls);
        Assert.Contains("Target 'erp-eu' is unhealthy", sut.Runs.Single(r => r.JobName == "submit-eu").Error);
        Assert.Equal(new RecordCounts(40, 40, 0, 0), sut.Runs.Single(r => r.JobName == "submit-us").Counts);
        Assert.Equal(TargetHealthState.Unhealthy, Health(sut, "erp-eu"));
        Assert.Equal(TargetHealthState.Healthy, Health(sut, "erp-us"));
    }

    [Fact]
    public async Task One_explicit_name_shared_by_two_jobs_is_one_target_with_one_breaker()
    {
        var erp = new OrderTarget { Failing = true };
        var submitOrders = Orders(40);
        var exportOrders = Orders(40);
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.ConfigureTarget("erp", Breaks);
                jobs.AddRecordJob<Order>("order-submit").ReadFrom(submitOrders).ReportStatusTo(submitOrders).DeliverTo<OrderTarget>("erp")
                    .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
                jobs.AddRecordJob<Order>("order-export").ReadFrom(exportOrders).ReportStatusTo(exportOrders).DeliverTo<OrderTarget>("erp")
                    .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
            },
            services: s => s.AddSingleton(erp));

        sut.Engine.Trigger("order-submit");
        await sut.WaitForRunsAsync("order-submit", 1);
        sut.Engine.Trigger("order-export");
        await sut.WaitForRunsAsync("order-export", 1);

        // The first job's failures opened the breaker of 'erp'; the second job, delivering to 'erp' too, waits for it.
        Assert.Equal(4, erp.Calls);
        Assert.Contains("Target 'erp' is unhealthy", sut.Runs.Single(r => r.JobName == "order-export").Error);
        Assert.Equal(0, sut.Runs.Single(r => r.JobName == "order-export").Counts.Read);
        Assert.Equal("erp", Assert.Single(sut.Engine.GetTargetHealth()).TargetName);
    }

    [Fact]
    public void One_instance_under_one_name_on_two_jobs_is_accepted()
    {
        var erp = new OrderTarget();
        using var provider = CreateProvider(jobs =>
        {
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(Orders(1)).DeliverTo("erp", erp);
            jobs.AddRecordJob<Order>("order-export").ReadFrom(Orders(1)).DeliverTo("erp", erp);
        });

        Assert.NotNull(provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value);
    }

    [Fact]
    public void Two_instances_under_one_name_fail_start_up_naming_both_jobs_and_the_name()
    {
        var message = StartupError(jobs =>
        {
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(Orders(1)).DeliverTo("erp", new OrderTarget());
            jobs.AddRecordJob<Order>("order-export").ReadFrom(Orders(1)).DeliverTo("erp", new OrderTarget());
        });

        Assert.Contains("Jobs 'order-export' and 'order-submit' declare two different targets under the name 'erp'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_types_under_one_name_fail_start_up_naming_both_jobs_and_the_name()
    {
        var message = StartupError(jobs =>
        {
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(Orders(1)).DeliverTo<OrderTarget>("erp", ServiceLifetime.Scoped);
            jobs.AddRecordJob<Order>("order-export").ReadFrom(Orders(1)).DeliverTo<OtherOrderTarget>("ERP", ServiceLifetime.Scoped);
        });

        Assert.Contains("Jobs 'order-export' and 'order-submit' declare two different targets under the name 'erp'", message, StringComparison.Ordinal);
        Assert.Contains("type OtherOrderTarget", message, StringComparison.Ordinal);
        Assert.Contains("type OrderTarget", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unnamed_target_on_a_job_named_like_another_jobs_explicit_target_fails_start_up()
    {
        var message = StartupError(jobs =>
        {
            jobs.AddRecordJob<Order>("erp").ReadFrom(Orders(1)).DeliverTo(new OrderTarget());
            jobs.AddRecordJob<Order>("order-export").ReadFrom(Orders(1)).DeliverTo("erp", new OrderTarget());
        });

        Assert.Contains("Jobs 'erp' and 'order-export' declare two different targets under the name 'erp'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_declared_target_under_the_name_of_a_registered_target_fails_start_up()
    {
        var message = StartupError(jobs =>
        {
            jobs.AddTarget("erp", _ => new AnyTarget("erp"));
            jobs.AddRecordJob<Order>("order-export").ReadFrom(Orders(1)).DeliverTo<OrderTarget>("erp", ServiceLifetime.Scoped);
        });

        Assert.Contains("Job 'order-export': DeliverTo declares target 'erp' (type OrderTarget), and a target named 'erp' is registered with AddTarget", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("erp\r\n")]
    public void An_invalid_target_name_is_refused_at_registration(string name)
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs => jobs.AddRecordJob<Order>("order-submit").DeliverTo(name, new OrderTarget())));
        Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs => jobs.AddRecordJob<Order>("order-export").DeliverTo<OrderTarget>(name)));
    }

    [Property(MaxTest = 300)]
    public Property A_target_name_is_accepted_exactly_when_it_would_be_a_valid_job_name() => Prop.ForAll(
        Gen.OneOf(
            Gen.Elements("erp", "erp-eu", ".", "..", "a/b", "", " erp", "erp\r\n", "erp\0", "bestellübermittlung", "\ud800", new string('a', 101)),
            Gen.Elements('.', '/', '\\', '?', '#', '%', ' ', '\r', '\n', '\0', 'a', 'Z', '9', '-', '_', 'é', '\ud800').ArrayOf().Select(c => new string(c))).ToArbitrary(),
        name =>
        {
            var asJob = Accepted(jobs => jobs.AddJob(name, static (_, _) => ValueTask.FromResult(JobResult.Success)));
            var asInstance = Accepted(jobs => jobs.AddRecordJob<Order>("order-submit").DeliverTo(name, new OrderTarget()));
            var asType = Accepted(jobs => jobs.AddRecordJob<Order>("order-submit").DeliverTo<OrderTarget>(name, ServiceLifetime.Scoped));
            return asJob == asInstance && asJob == asType;
        });

    [Fact]
    public void ConfigureTarget_gives_the_options_builder_of_the_target()
    {
        var error = Assert.Throws<OptionsValidationException>(() => TestEngine.Create(jobs =>
        {
            jobs.ConfigureTarget("order-submit")
                .Configure(t => t.MaxConcurrency = 9)
                .Validate(t => t.MaxConcurrency <= 8, "Target 'order-submit': MaxConcurrency must be at most 8 here.");
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(Orders(1)).DeliverTo(new OrderTarget());
        }));

        Assert.Contains("Target 'order-submit': MaxConcurrency must be at most 8 here.", error.Message, StringComparison.Ordinal);
    }

    private static bool Accepted(Action<CommerceJobsBuilder> configure)
    {
        try
        {
            new ServiceCollection().AddCommerceJobs(configure);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Breaks(TargetOptions t)
    {
        t.MinimumThroughput = 4;
        t.FailureRatio = 0.5;
        t.BreakDuration = TimeSpan.FromMinutes(1);
    }

    private static Cart Orders(int count) => new(Enumerable.Range(0, count).Select(i => new Order($"SO{i:D2}")));

    private static async Task RunBothAsync(TestEngine sut, string first, string second)
    {
        sut.Engine.Trigger(first);
        sut.Engine.Trigger(second);
        await sut.WaitForAsync(r => r.Any(x => x.JobName == first) && r.Any(x => x.JobName == second));
    }

    private static TargetHealthState Health(TestEngine sut, string target)
        => Assert.Single(sut.Engine.GetTargetHealth(), h => string.Equals(h.TargetName, target, StringComparison.OrdinalIgnoreCase)).State;

    private static ServiceProvider CreateProvider(Action<CommerceJobsBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCommerceJobs(configure);
        return services.BuildServiceProvider();
    }

    private static string StartupError(Action<CommerceJobsBuilder> configure)
    {
        using var provider = CreateProvider(configure);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CommerceJobsOptions>>().Value).Message;
    }

    private sealed class OrderTarget : IDeliveryTarget<Order>
    {
        private int _calls;

        public bool Failing { get; init; }

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult(Failing ? DeliveryResult.TransientFailure("ERP down: 503") : DeliveryResult.Delivered);
        }
    }

    private sealed class AnyTarget(string name) : IDeliveryTarget
    {
        public string Name { get; } = name;

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }

    private sealed class OtherOrderTarget : IDeliveryTarget<Order>
    {
        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }
}
