using System.Reflection;
using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>
/// The engine's shape: the scheduler keeps its own state (the engine holds none of its queue, wake signal or timer), a
/// job holds no reference back to the engine (the run lifecycle goes one way), and a schedule shows hosts no engine
/// internals.
/// </summary>
public sealed class EngineShapeTests
{
    private const BindingFlags AllInstance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    [Fact]
    public void A_job_holds_no_reference_to_the_engine()
        => Assert.DoesNotContain(typeof(JobEntry).GetFields(AllInstance), f => f.FieldType == typeof(JobEngine));

    [Fact]
    public void The_engine_holds_none_of_the_schedulers_state()
    {
        var fields = typeof(JobEngine).GetFields(AllInstance);

        Assert.DoesNotContain(fields, f => f.FieldType.IsGenericType && f.FieldType.GetGenericTypeDefinition() == typeof(PriorityQueue<,>));
        Assert.DoesNotContain(fields, f => f.FieldType == typeof(ITimer));
        Assert.Single(fields, f => f.FieldType == typeof(JobScheduler));
    }

    [Fact]
    public void A_schedule_shows_hosts_no_engine_internals()
    {
        // Schedules are built with the factories only (the constructor is not visible to hosts): nothing to override.
        Assert.Empty(typeof(Schedule).GetProperties(BindingFlags.Instance | BindingFlags.Public));
        Assert.DoesNotContain(typeof(Schedule).GetConstructors(AllInstance), c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly);
    }
}
