using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Records;

/// <summary>A record job as registered: where it reads, where it delivers, where it reports status, and how a record is identified.</summary>
internal sealed class RecordJobDefinition<T>(string name) : JobDefinition(name), IDeclaresTarget
{
    public Func<IServiceProvider, IRecordSource<T>>? Source { get; set; }

    public Func<IServiceProvider, IDeliveryTarget<T>>? Target { get; set; }

    public string? TargetName { get; set; }

    public Func<IServiceProvider, IRecordStatusSink<T>>? Sink { get; set; }

    public Func<T, string>? RecordId { get; set; }

    /// <summary>Gets or sets the service the source is resolved as (<c>ReadFrom&lt;TSource&gt;()</c>), checked at start-up.</summary>
    public Type? SourceType { get; set; }

    /// <summary>Gets or sets the service the target is resolved as (<c>DeliverTo&lt;TTarget&gt;()</c>), checked at start-up.</summary>
    public Type? TargetType { get; set; }

    /// <summary>Gets or sets the service the status sink is resolved as (<c>ReportStatusTo&lt;TSink&gt;()</c>), checked at start-up.</summary>
    public Type? SinkType { get; set; }

    /// <summary>Gets or sets the instance the job delivers to (<c>DeliverTo(instance)</c>), which tells two declared targets apart.</summary>
    public IDeliveryTarget<T>? TargetInstance { get; set; }

    /// <summary>
    /// Gets or sets the name the health and concurrency limit of a target the job declares itself are kept under: the name
    /// given to <c>DeliverTo</c>, or the job's name. <see langword="null"/> for a target registered with <c>AddTarget</c>.
    /// </summary>
    public string? TargetKey { get; set; }

    /// <inheritdoc />
    public DeclaredTarget? DeclaredTarget => TargetName is null && TargetKey is { } key && (TargetType ?? (object?)TargetInstance) is { } identity ? new(key, identity) : null;

    /// <summary>Gets or sets a value indicating whether the job reads from its inbox in the store (<c>ReadFromInbox</c>).</summary>
    public bool Inbox { get; set; }

    public override bool ReadsInbox => Inbox;

    public Func<T, string> GetRecordId() => RecordId ?? (static record => ((IRecord)record!).RecordId);

    public override IEnumerable<string> TargetNames => TargetName is null ? [] : [TargetName];

    public override IEnumerable<string> TargetKeys => (TargetName ?? TargetKey) is { } key ? [key] : [];

    /// <summary>Says what the job still lacks, if anything (checked at start-up).</summary>
    public override IEnumerable<string> Validate()
    {
        if (Source is null)
        {
            yield return $"Job '{Name}': no record source; call ReadFrom.";
        }

        if (Target is null && TargetName is null)
        {
            yield return $"Job '{Name}': no delivery target; call DeliverTo.";
        }

        if (RecordId is null && !typeof(IRecord).IsAssignableFrom(typeof(T)))
        {
            yield return $"Job '{Name}': records of type {typeof(T).Name} have no id; implement IRecord or call WithKey.";
        }
    }

    /// <summary>Says which of the services the job resolves for every run are not registered (checked at start-up, nothing is constructed).</summary>
    public override IEnumerable<string> ValidateServices(IServiceProviderIsService services)
    {
        foreach (var (type, what, call) in new[] { (SourceType, "record source", "ReadFrom"), (TargetType, "delivery target", "DeliverTo"), (SinkType, "status sink", "ReportStatusTo") })
        {
            if (type is not null && !services.IsService(type))
            {
                yield return $"Job '{Name}': the {what} {type.Name} is not registered; register it (AddScoped<{type.Name}>() for a new instance every run, AddSingleton for one shared instance) or call {call}<{type.Name}>(ServiceLifetime.Scoped).";
            }
        }
    }

    public override IJobExecutor CreateExecutor(IServiceProvider services, JobOptions options)
    {
        var recordId = GetRecordId();
        var named = TargetName is null ? null : NamedTargetAdapter<T>.For(services.GetRequiredService<NamedTargets>().Get(TargetName));
        var health = services.GetService<TargetHealthRegistry>()?.Get(TargetName ?? TargetKey ?? Name);
        return new RecordJobExecutor<T>(this, options, recordId, named, health, services.GetRequiredService<IRecordStore>(), services.GetRequiredService<TimeProvider>(), services.GetService<EngineObserver>());
    }
}
