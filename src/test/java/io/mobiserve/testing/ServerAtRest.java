package io.mobiserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The check that a server holds nothing once its calls have ended, read from its own gauges. */
public final class ServerAtRest {
  private ServerAtRest() {}

  /**
   * Waits up to 10 s for the memory budget in use, the queued images and the calls in flight to be back at
   * zero (calls end a little after their answers reach the client), then asserts each of them.
   *
   * @param scraper the server's Prometheus exposition, read anew on each call
   */
  public static void await(Supplier<String> scraper) throws InterruptedException {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Scrape scrape;
    do {
      scrape = new Scrape(scraper.get());
      if (scrape.get("mobiserve_memory_budget_used_bytes") == 0 && scrape.get("mobiserve_queue_images") == 0
          && scrape.get("mobiserve_inflight_requests") == 0) {
        return;
      }
      Thread.sleep(10);
    } while (System.nanoTime() < giveUp);
    assertThat(scrape.get("mobiserve_memory_budget_used_bytes")).as("budget in use").isZero();
    assertThat(scrape.get("mobiserve_queue_images")).as("queued images").isZero();
    assertThat(scrape.get("mobiserve_inflight_requests")).as("calls in flight").isZero();
  }
}
