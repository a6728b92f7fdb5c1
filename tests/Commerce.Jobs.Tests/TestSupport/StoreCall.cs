using System.Reflection;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// How the test stores (hanging, faulty, intercepting) name a call: the member's name, and for the operator-state
/// members the kind too, so that a test holds or fails the job controls without the entity-sync configurations.
/// </summary>
internal static class StoreCall
{
    public const string GetJobControls = nameof(IOperatorStateStore.GetAsync) + "(" + OperatorStateKinds.Job + ")";
    public const string SetJobControls = nameof(IOperatorStateStore.SetAsync) + "(" + OperatorStateKinds.Job + ")";
    public const string GetEntitySyncConfigurations = nameof(IOperatorStateStore.GetAsync) + "(" + OperatorStateKinds.EntitySync + ")";
    public const string SetEntitySyncConfiguration = nameof(IOperatorStateStore.SetAsync) + "(" + OperatorStateKinds.EntitySync + ")";

    public static string Name(MethodInfo method, object?[]? args) =>
        method.DeclaringType == typeof(IOperatorStateStore) && args is [string kind, ..] ? $"{method.Name}({kind})" : method.Name;
}
