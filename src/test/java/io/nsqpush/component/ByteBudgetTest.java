package io.nsqpush.component;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ByteBudgetTest {

    private static final long MB = 1 << 20;

    @Test
    void beforeAnyMessageTheWholeCountWindowIsOpen() {
        assertEquals(200, new ByteBudget(128 * MB, 200).window());
    }

    @Test
    void theWindowHoldsAsManyMessagesOfTheAverageSizeAsFitTheBudget() {
        ByteBudget budget = new ByteBudget(128 * MB, 200);
        budget.add(MB);
        budget.release(MB);
        assertEquals(128, budget.window());
        ByteBudget small = new ByteBudget(128 * MB, 200);
        small.add(1000);
        assertEquals(200, small.window(), "small messages: maxInFlight bounds, not bytes");
    }

    @Test
    void theAverageFollowsTheSizesSoTheWindowShrinksAsMessagesGrow() {
        ByteBudget budget = new ByteBudget(128 * MB, 200);
        for (int i = 0; i < 100; i++) {
            budget.add(4 * MB);
            budget.release(4 * MB);
        }
        assertEquals(32, budget.window());
        for (int i = 0; i < 100; i++) {
            budget.add(MB);
            budget.release(MB);
        }
        // the running average nears 1 MB from above: 127 or 128 of them fit
        assertTrue(budget.window() >= 127 && budget.window() <= 128, "grows back once the messages are small again: "
                + budget.window());
    }

    @Test
    void overTheBudgetTheWindowIsZeroAndTheTransitionsAreReportedOnce() {
        ByteBudget budget = new ByteBudget(10 * MB, 200);
        for (int i = 0; i < 10; i++) {
            assertFalse(budget.add(MB), "at most the budget is not over it");
        }
        assertFalse(budget.isOver());
        assertTrue(budget.add(MB), "the byte past the budget turns it over, once");
        assertFalse(budget.add(MB));
        assertTrue(budget.isOver());
        assertEquals(0, budget.window());
        assertEquals(12 * MB, budget.inFlight());
        assertFalse(budget.release(MB), "still over");
        assertTrue(budget.release(MB), "back within: reported once");
        assertFalse(budget.release(MB));
        assertEquals(9 * MB, budget.inFlight());
        assertEquals(10, budget.window());
    }

    @Test
    void aMessageLargerThanTheBudgetStillGoesThroughAlone() {
        ByteBudget budget = new ByteBudget(MB, 200);
        assertTrue(budget.add(5 * MB));
        assertEquals(0, budget.window());
        assertTrue(budget.release(5 * MB));
        assertEquals(1, budget.window(), "never below one message when nothing is in flight");
    }

    @Test
    void theDefaultIsAQuarterOfTheHeap() {
        assertEquals(128 * MB, ByteBudget.defaultBudget(512 * MB));
    }

    @Test
    void theReadyWindowGivesOutNoMoreThanTheLimitAndNothingAtZero() {
        ReadyWindow window = new ReadyWindow(200);
        List<ReadyWindow.Link> links = List.of(new ReadyWindow.Link(0, 0, 0), new ReadyWindow.Link(0, 0, 0));
        assertArrayEquals(new int[]{16, 16}, window.plan(links, 0, ReadyWindow.Mode.RUNNING, 0, 32).ready());
        assertArrayEquals(new int[]{0, 0}, window.plan(links, 0, ReadyWindow.Mode.RUNNING, 0, 0).ready());
        List<ReadyWindow.Link> busy = List.of(new ReadyWindow.Link(100, 100, 0), new ReadyWindow.Link(100, 100, 0));
        assertArrayEquals(new int[]{16, 16}, window.plan(busy, 0, ReadyWindow.Mode.RUNNING, 0, 32).ready(),
                "a smaller limit lowers RDY at once");
    }
}
