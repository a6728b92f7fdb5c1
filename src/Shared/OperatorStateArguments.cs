using Commerce.Jobs.Storage;

namespace Commerce.Jobs;

/// <summary>The argument checks every <see cref="IOperatorStateStore.SetAsync"/> makes, in one place for every store.</summary>
internal static class OperatorStateArguments
{
    /// <summary>Throws <see cref="ArgumentNullException"/> for a missing kind, name, field list, field or field name.</summary>
    public static void Check(string kind, string name, IReadOnlyList<OperatorStateField> fields)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var field in fields)
        {
            ArgumentNullException.ThrowIfNull(field, nameof(fields));
            ArgumentNullException.ThrowIfNull(field.Name, nameof(fields));
        }
    }
}
