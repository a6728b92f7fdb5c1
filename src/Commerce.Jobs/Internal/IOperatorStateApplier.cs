using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Internal;

/// <summary>Applies the operator state of one kind (what any host stored) here; never throws but for cancellation.</summary>
internal interface IOperatorStateApplier
{
    /// <summary>Gets the kind of operator state it applies (<see cref="OperatorStateKinds"/>).</summary>
    string Kind { get; }

    /// <summary>Applies the stored entries of <see cref="Kind"/>, each field unless changed here since (the newest change wins).</summary>
    Task ApplyAsync(IReadOnlyList<OperatorStateEntry> entries, CancellationToken cancellationToken);

    /// <summary>Logs that the entries of <see cref="Kind"/> could not be read, or applied (the next pass tries again).</summary>
    void Failed(Exception exception);
}
