using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Targets;

/// <summary>Binds any target's options from <c>Targets:{target name}</c>, whatever the name (targets are known only at first delivery).</summary>
internal sealed class TargetOptionsBinder(IConfiguration targets) : IConfigureNamedOptions<TargetOptions>
{
    public void Configure(string? name, TargetOptions options)
    {
        if (!string.IsNullOrEmpty(name))
        {
            targets.GetSection(name).Bind(options);
        }
    }

    public void Configure(TargetOptions options) => Configure(Options.DefaultName, options);
}
