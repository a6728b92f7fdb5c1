namespace Commerce.Jobs.Runners;

/// <summary>A job as registered: its name and how to make its executor. Settings live in the job's named <see cref="JobOptions"/>.</summary>
internal abstract class JobDefinition(string name)
{
    public string Name { get; } = name;

    /// <summary>Gets the named delivery targets the job delivers to, checked at start-up.</summary>
    public virtual IEnumerable<string> TargetNames => [];

    /// <summary>Gets the names the job's targets' options are kept under (<c>Targets:{name}</c>): the names they were declared under (a target given without a name: the job's name).</summary>
    public virtual IEnumerable<string> TargetKeys => TargetNames;

    /// <summary>Gets a value indicating whether the job reads records from its inbox in the store.</summary>
    public virtual bool ReadsInbox => false;

    /// <summary>Says what the job still lacks, if anything (checked at start-up).</summary>
    public virtual IEnumerable<string> Validate() => [];

    /// <summary>Says which services the job resolves for every run are not registered, if any (checked at start-up).</summary>
    public virtual IEnumerable<string> ValidateServices(Microsoft.Extensions.DependencyInjection.IServiceProviderIsService services) => [];

    public abstract IJobExecutor CreateExecutor(IServiceProvider services, JobOptions options);
}
