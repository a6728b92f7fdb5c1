using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Records;

/// <summary>
/// A target a record job declares itself (<c>DeliverTo&lt;TTarget&gt;(...)</c> or <c>DeliverTo(..., instance)</c>), under its name:
/// the name keys the target's circuit breaker, concurrency limit and options, so a name names one target.
/// </summary>
/// <param name="Name">The target's name: the one given, or the job's.</param>
/// <param name="Identity">What the target is: its type (resolved from the services) or the instance.</param>
internal sealed record DeclaredTarget(string Name, object Identity)
{
    /// <summary>Gets a description of the target for a message.</summary>
    public string Description => Identity is Type type ? $"type {type.Name}" : $"an instance of {Identity.GetType().Name}";

    /// <summary>
    /// Says which names are given to two different targets: two jobs declaring different types or instances under one
    /// name, or a job declaring a target under the name of a target registered with <c>AddTarget</c>.
    /// </summary>
    public static IEnumerable<string> Conflicts(JobRegistry registry)
    {
        var first = new Dictionary<string, (string Job, DeclaredTarget Target)>(StringComparer.OrdinalIgnoreCase);
        foreach (var job in registry.Jobs.OrderBy(j => j.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (job is not IDeclaresTarget { DeclaredTarget: { } target })
            {
                continue;
            }

            if (registry.Targets.ContainsKey(target.Name))
            {
                yield return $"Job '{job.Name}': DeliverTo declares target '{target.Name}' ({target.Description}), and a target named '{target.Name}' is registered with AddTarget; one name names one target: deliver to DeliverTo(\"{target.Name}\") or give the job's target another name.";
            }
            else if (!first.TryAdd(target.Name, (job.Name, target)) && first[target.Name] is var (otherJob, other) && !Equals(other.Identity, target.Identity))
            {
                yield return $"Jobs '{otherJob}' and '{job.Name}' declare two different targets under the name '{target.Name}' ({other.Description}, {target.Description}); one name names one target, with one circuit breaker and one concurrency limit: give each its own name.";
            }
        }
    }
}

/// <summary>A job that declares its own delivery target.</summary>
internal interface IDeclaresTarget
{
    /// <summary>Gets the target the job declares itself, if it does (not one registered with <c>AddTarget</c>).</summary>
    DeclaredTarget? DeclaredTarget { get; }
}
