namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>Schedules in words, as the monitor and the dashboard show them.</summary>
public sealed class ScheduleDescriptionTests
{
    [Theory]
    [InlineData(0, 0, 0, 30, 0, "every 30 seconds")]
    [InlineData(0, 0, 1, 0, 0, "every minute")]
    [InlineData(0, 0, 5, 0, 0, "every 5 minutes")]
    [InlineData(0, 1, 0, 0, 0, "every hour")]
    [InlineData(0, 1, 30, 0, 0, "every 1 hour 30 minutes")]
    [InlineData(1, 0, 0, 0, 0, "every day")]
    [InlineData(2, 12, 0, 0, 0, "every 2 days 12 hours")]
    [InlineData(0, 0, 0, 1, 500, "every 1 second 500 ms")]
    public void Interval_is_described_in_words(int days, int hours, int minutes, int seconds, int milliseconds, string expected)
    {
        var interval = new TimeSpan(days, hours, minutes, seconds, milliseconds);

        Assert.Equal(expected, Schedule.Every(interval).ToString());
    }

    [Fact]
    public void Combined_schedules_join_their_descriptions()
    {
        var schedule = Schedule.Combine(Schedule.Every(TimeSpan.FromMinutes(15)), Schedule.DailyAt(new TimeOnly(2, 0)));

        Assert.Equal("every 15 minutes and daily at 02:00", schedule.ToString());
    }
}
