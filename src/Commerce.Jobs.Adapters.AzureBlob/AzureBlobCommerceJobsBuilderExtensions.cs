using Commerce.Jobs.Adapters.AzureBlob;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Adds Azure Blob storage targets to a Commerce.Jobs host.</summary>
public static class AzureBlobCommerceJobsBuilderExtensions
{
    /// <summary>
    /// Adds a named target that uploads each batch as one JSON Lines blob, <c>{job}/{yyyy}/{MM}/{dd}/{batch id}.jsonl</c>,
    /// to a container of an Azure Blob storage account.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="name">The target's unique name, which jobs name in <c>DeliverTo</c>; also the name of its options.</param>
    /// <param name="configure">Sets the account (a connection string, or an address and a credential) and the container.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The batch id is a hash of the records' idempotency keys: a batch delivered again the same UTC day overwrites its blob.
    /// The options are named options validated at start-up.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddAzureBlobTarget("archive", blob =>
    ///     {
    ///         blob.ConnectionString = configuration["Storage:ConnectionString"];
    ///         blob.Container = "exports";
    ///         blob.CreateContainer = true;
    ///     });
    ///     jobs.AddRecordJob&lt;Order&gt;("order-export").ReadFrom&lt;NewOrders&gt;().DeliverTo("archive").WithoutStatusUpdates();
    /// });
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The name is invalid or already used by another target.</exception>
    public static CommerceJobsBuilder AddAzureBlobTarget(this CommerceJobsBuilder jobs, string name, Action<AzureBlobTargetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(configure);
        return jobs.AddTarget<AzureBlobTargetOptions, AzureBlobTargetOptionsValidator>(name, configure, (services, options) => new AzureBlobTarget(
            name,
            options,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<ILoggerFactory>()?.CreateLogger<AzureBlobTarget>() ?? NullLogger<AzureBlobTarget>.Instance));
    }
}
