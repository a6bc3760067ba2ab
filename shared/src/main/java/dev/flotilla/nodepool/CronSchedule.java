package dev.flotilla.nodepool;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A budget's schedule: standard five-field cron (minute, hour, day of month, month, day of week) in UTC, or one of
 * the macros {@code @yearly}, {@code @annually}, {@code @monthly}, {@code @weekly}, {@code @daily},
 * {@code @midnight}, {@code @hourly}, as Karpenter reads {@code spec.disruption.budgets[].schedule}. Fields take
 * {@code *}, numbers, names ({@code jan}, {@code mon}), ranges, lists and steps. When both day fields are restricted
 * a day matching either fires, as in cron.
 */
public record CronSchedule(String text, BitSet minutes, BitSet hours, BitSet days, BitSet months, BitSet weekdays,
    boolean anyDay, boolean anyWeekday) {

  private static final Map<String, String> MACROS = Map.of("@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *",
      "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0", "@daily", "0 0 * * *", "@midnight", "0 0 * * *",
      "@hourly", "0 * * * *");
  private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
      "oct", "nov", "dec");
  private static final List<String> WEEKDAYS = List.of("sun", "mon", "tue", "wed", "thu", "fri", "sat");

  /** Reads a schedule; the message of what it throws names the field that is wrong. */
  public static CronSchedule parse(String text) {
    String trimmed = text == null ? "" : text.trim();
    String expanded = MACROS.getOrDefault(trimmed.toLowerCase(Locale.ROOT), trimmed);
    String[] fields = expanded.split("\\s+");
    if (fields.length != 5) {
      throw new IllegalArgumentException("schedule '" + text + "' needs five fields (minute hour day-of-month month"
          + " day-of-week) or a macro such as @daily");
    }
    BitSet weekdays = field(fields[4], "day of week", 0, 7, WEEKDAYS, 0);
    if (weekdays.get(7)) {
      weekdays.set(0); // 7 is Sunday too
      weekdays.clear(7);
    }
    return new CronSchedule(trimmed, field(fields[0], "minute", 0, 59, List.of(), 0),
        field(fields[1], "hour", 0, 23, List.of(), 0), field(fields[2], "day of month", 1, 31, List.of(), 0),
        field(fields[3], "month", 1, 12, MONTHS, 1), weekdays, unrestricted(fields[2]), unrestricted(fields[4]));
  }

  private static boolean unrestricted(String field) {
    return field.startsWith("*") || field.startsWith("?");
  }

  private static BitSet field(String field, String name, int min, int max, List<String> names, int firstName) {
    BitSet set = new BitSet(max + 1);
    for (String part : field.split(",")) {
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(part.substring(slash + 1), name, List.of(), 0);
        if (step < 1) {
          throw new IllegalArgumentException("schedule " + name + ": step must be at least 1 in '" + part + "'");
        }
      }
      int from;
      int to;
      if (range.equals("*") || range.equals("?")) {
        from = min;
        to = max;
      } else if (range.contains("-")) {
        String[] ends = range.split("-", 2);
        from = number(ends[0], name, names, firstName);
        to = number(ends[1], name, names, firstName);
      } else {
        from = number(range, name, names, firstName);
        to = slash >= 0 ? max : from;
      }
      if (from < min || to > max || from > to) {
        throw new IllegalArgumentException("schedule " + name + ": '" + part + "' is outside " + min + "-" + max);
      }
      for (int v = from; v <= to; v += step) {
        set.set(v);
      }
    }
    return set;
  }

  private static int number(String text, String name, List<String> names, int firstName) {
    int index = names.indexOf(text.toLowerCase(Locale.ROOT));
    if (index >= 0) {
      return index + firstName;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("schedule " + name + ": '" + text + "' is not a number", e);
    }
  }

  /**
   * Whether the schedule fired in the {@code duration} up to {@code now}: Karpenter's "the next time it fires after
   * now less the duration is not after now".
   */
  public boolean firedWithin(Instant now, Duration duration) {
    ZonedDateTime end = now.atZone(ZoneOffset.UTC);
    // cron fires on whole minutes strictly after the point it is asked from
    ZonedDateTime t = now.minus(duration).atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    while (!t.isAfter(end)) {
      if (!dayMatches(t.toLocalDate())) {
        t = t.toLocalDate().plusDays(1).atStartOfDay(ZoneOffset.UTC);
        continue;
      }
      if (!hours.get(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
        continue;
      }
      if (minutes.get(t.getMinute())) {
        return true;
      }
      t = t.plusMinutes(1);
    }
    return false;
  }

  private boolean dayMatches(LocalDate date) {
    if (!months.get(date.getMonthValue())) {
      return false;
    }
    boolean dom = days.get(date.getDayOfMonth());
    boolean dow = weekdays.get(date.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : date.getDayOfWeek().getValue());
    if (anyDay || anyWeekday) {
      return dom && dow;
    }
    return dom || dow;
  }

  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronSchedule c && c.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
