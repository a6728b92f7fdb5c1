using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs;

/// <summary>Declares a plain job.</summary>
public sealed class JobBuilder : JobBuilderBase<JobBuilder>
{
    internal JobBuilder(IServiceCollection services, string name)
        : base(services, name)
    {
    }
}
