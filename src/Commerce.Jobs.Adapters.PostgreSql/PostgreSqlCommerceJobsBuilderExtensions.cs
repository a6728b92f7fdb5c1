using Commerce.Jobs.Adapters.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs;

/// <summary>Keeps a Commerce.Jobs host's store in PostgreSQL, shared by every host of the application.</summary>
public static class PostgreSqlCommerceJobsBuilderExtensions
{
    /// <summary>
    /// Keeps run history, checkpoints, record inboxes, occurrence claims and held entity changes in PostgreSQL, so several
    /// hosts of one application coordinate: each scheduled occurrence runs on one host, inbox records are claimed with
    /// <c>FOR UPDATE SKIP LOCKED</c> under leases that another host takes over when they expire.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="connectionString">The Npgsql connection string of the shared database.</param>
    /// <param name="configure">Changes the schema or turns auto-migration off.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The options are validated at start-up. With <see cref="PostgreSqlStoreOptions.AutoMigrate"/> on (the default) the
    /// store creates or upgrades its schema when first used; several hosts starting together migrate once.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.UsePostgreSqlStore(configuration.GetConnectionString("Jobs")!, store => store.Schema = "storefront_jobs");
    ///     jobs.AddRecordJob&lt;Order&gt;("order-submit").ReadFromInbox().DeliverTo("erp").Schedule(Schedule.Automatic());
    /// });
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The connection string is empty.</exception>
    public static CommerceJobsBuilder UsePostgreSqlStore(this CommerceJobsBuilder jobs, string connectionString, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return jobs.UseStore<PostgreSqlStoreOptions, PostgreSqlStoreOptionsValidator>(
            options =>
            {
                options.ConnectionString = connectionString;
                configure?.Invoke(options);
            },
            static (services, options) => new PostgreSqlJobStore(options, services.GetService<ILoggerFactory>()));
    }
}
