using Commerce.Jobs.Adapters.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Keeps a Commerce.Jobs host's store in an embedded SQLite file.</summary>
public static class SqliteCommerceJobsBuilderExtensions
{
    /// <summary>
    /// Keeps run history, the record inboxes with their leases, occurrence claims, checkpoints and entity-sync state in a
    /// SQLite database file (write-ahead log, one transaction per batch), so a host killed mid-batch loses no record.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="connectionString">The Microsoft.Data.Sqlite connection string, for example <c>Data Source=jobs.db</c>.</param>
    /// <param name="configure">Changes the other settings (migrations, lease release on open, busy timeout); optional.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The settings are validated at start-up. The store opens the file when the host first needs it, creating the file and
    /// its schema (<see cref="SqliteStoreOptions.AutoMigrate"/>); it is disposed with the service provider. One process owns
    /// the file: on open it releases the leases a previous, crashed process left (<see cref="SqliteStoreOptions.ReleaseLeasesOnOpen"/>).
    /// Entity-change payloads are stored as JSON with <see cref="CommerceJobsOptions.SerializerOptions"/> and read back as
    /// <see cref="System.Text.Json.JsonElement"/>.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.UseSqliteStore("Data Source=jobs.db");
    ///     jobs.AddRecordJob&lt;Order&gt;("order-submit").ReadFromInbox().DeliverTo("erp").Schedule(Schedule.Automatic());
    /// });
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is empty.</exception>
    public static CommerceJobsBuilder UseSqliteStore(this CommerceJobsBuilder jobs, string connectionString, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return jobs.UseStore<SqliteStoreOptions, SqliteStoreOptionsValidator>(
            options =>
            {
                options.ConnectionString = connectionString;
                configure?.Invoke(options);
            },
            static (services, options) => SqliteJobStore.Open(options, services.GetService<IOptions<CommerceJobsOptions>>()?.Value.SerializerOptions));
    }
}
