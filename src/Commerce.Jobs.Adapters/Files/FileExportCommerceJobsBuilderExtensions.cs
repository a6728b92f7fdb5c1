using Commerce.Jobs.Adapters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Adds file / spreadsheet export targets and their cleanup job to a Commerce.Jobs host.</summary>
public static class FileExportCommerceJobsBuilderExtensions
{
    /// <summary>Adds a named target that writes each batch to one JSON Lines or CSV file in a folder, atomically.</summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="name">The target's unique name, which jobs name in <c>DeliverTo</c>; also the name of its options.</param>
    /// <param name="configure">Sets the folder and the format.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// Files are named <c>{job}_{yyyyMMdd'T'HHmmssfff'Z'}_{hash}.{jsonl|csv}</c>; a batch delivered again is not written twice.
    /// Pair it with <see cref="AddExportCleanup"/> to remove old exports.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddFileExportTarget("reports", files =>
    ///     {
    ///         files.Folder = "/var/exports/orders";
    ///         files.Format = FileExportFormat.Csv;
    ///     });
    ///     jobs.AddRecordJob&lt;Order&gt;("order-export").ReadFrom&lt;NewOrders&gt;().DeliverTo("reports").WithoutStatusUpdates();
    ///     jobs.AddExportCleanup("cleanup-export-files", "/var/exports/orders", TimeSpan.FromDays(30));
    /// });
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The name is invalid or already used by another target.</exception>
    public static CommerceJobsBuilder AddFileExportTarget(this CommerceJobsBuilder jobs, string name, Action<FileExportOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(configure);
        return jobs.AddTarget<FileExportOptions, FileExportOptionsValidator>(name, configure, (services, options) => new FileExportTarget(
            name,
            options,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<ILoggerFactory>()?.CreateLogger<FileExportTarget>() ?? NullLogger<FileExportTarget>.Instance));
    }

    /// <summary>
    /// Adds the built-in "Cleanup Export Files" job, daily at 03:00 server time: removes from <paramref name="folder"/> the
    /// files a file export target wrote whose last write is older than <paramref name="retention"/>; other files stay.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="name">The job's unique name, such as <c>cleanup-export-files</c>.</param>
    /// <param name="folder">The export folder (the target's <see cref="FileExportOptions.Folder"/>).</param>
    /// <param name="retention">How long an export file is kept.</param>
    /// <returns>A builder for the job's schedule (schedules added to it run beside the daily one).</returns>
    /// <exception cref="ArgumentException">The name is invalid or already used, or the folder is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The retention is not positive.</exception>
    public static JobBuilder AddExportCleanup(this CommerceJobsBuilder jobs, string name, string folder, TimeSpan retention)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var job = new ExportCleanupJob(folder, retention);
        return jobs.AddJob(name, job.ExecuteAsync).Schedule(Schedule.DailyAt(new TimeOnly(3, 0)));
    }
}
