using Kfac.Rl.Environments;
using NUnit.Framework;

namespace Kfac.Tests.Rl;

/// <summary>
/// MinAtar Breakout and Space Invaders against trajectories worked out by hand from the published rules
/// (kenjyoung/MinAtar minatar/environments/breakout.py and space_invaders.py), with sticky actions off so the
/// trajectory is deterministic; and the sticky-action rate as a statistical test.
/// </summary>
public class MinAtarTests
{
    private const int Noop = 0, Left = 1, Right = 2, Fire = 3; // minimal action sets: Breakout n l r, Space Invaders n l r f

    private static MinAtarBreakout BreakoutStartingLeft()
    {
        var env = new MinAtarBreakout(stickyActionProbability: 0);
        for (int seed = 0; ; seed++)
        {
            env.Reset(seed);
            if (env.BallX == 0) return env;
        }
    }

    [Test]
    public void BreakoutStartStateAndObservationChannels()
    {
        var env = new MinAtarBreakout(stickyActionProbability: 0);
        Assert.That(env.ObservationShape, Is.EqualTo(new[] { 4, 10, 10 }));
        Assert.That(env.ActionSpace.Count, Is.EqualTo(3));
        bool sawLeft = false, sawRight = false;
        for (int seed = 0; seed < 40; seed++)
        {
            var obs = env.Reset(seed);
            Assert.That(env.BallY, Is.EqualTo(3));
            Assert.That((env.BallX, env.BallDirection), Is.EqualTo((0, 2)).Or.EqualTo((9, 3)));
            sawLeft |= env.BallX == 0;
            sawRight |= env.BallX == 9;
            Assert.That(env.Paddle, Is.EqualTo(4));
            Assert.That(env.BrickCount(), Is.EqualTo(30));
            Assert.That(obs[(0 * 10 + 9) * 10 + 4], Is.EqualTo(1f), "paddle channel");
            Assert.That(obs[(1 * 10 + 3) * 10 + env.BallX], Is.EqualTo(1f), "ball channel");
            Assert.That(obs[(2 * 10 + 3) * 10 + env.BallX], Is.EqualTo(1f), "trail channel");
            Assert.That(obs.Skip(300).Sum(), Is.EqualTo(30f), "brick channel");
            Assert.That(obs.Sum(), Is.EqualTo(33f));
        }
        Assert.That(sawLeft && sawRight, Is.True, "both starts occur");
    }

    [Test]
    public void BreakoutPaddleBounceBrickAndTermination()
    {
        var env = BreakoutStartingLeft();
        // (action, ball y, ball x, direction, paddle, reward, terminal) after each step, worked out by hand.
        (int A, int Y, int X, int Dir, int Pad, double R, bool T)[] expected =
        [
            (Right, 4, 1, 2, 5, 0, false),
            (Noop, 5, 2, 2, 5, 0, false),
            (Noop, 6, 3, 2, 5, 0, false),
            (Noop, 7, 4, 2, 5, 0, false),
            (Noop, 8, 5, 2, 5, 0, false),
            (Noop, 8, 6, 1, 5, 0, false),   // paddle under the ball's old column: straight back up (down-right -> up-right)
            (Noop, 7, 7, 1, 5, 0, false),
            (Noop, 6, 8, 1, 5, 0, false),
            (Noop, 5, 9, 1, 5, 0, false),
            (Noop, 4, 9, 0, 5, 0, false),   // right wall: up-right -> up-left, x clamped to 9
            (Noop, 4, 8, 3, 5, 1, false),   // brick at (3, 8): +1, removed, ball stays on row 4, now down-left
            (Noop, 5, 7, 3, 5, 0, false),
            (Noop, 6, 6, 3, 5, 0, false),
            (Noop, 7, 5, 3, 5, 0, false),
            (Noop, 8, 4, 3, 5, 0, false),
            (Noop, 9, 3, 3, 5, 0, true),    // paddle at 5 is under neither column 4 nor 3: game over
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            var e = expected[i];
            var (obs, r) = env.Step(e.A);
            Assert.That((env.BallY, env.BallX, env.BallDirection, env.Paddle), Is.EqualTo((e.Y, e.X, e.Dir, e.Pad)), $"step {i + 1}");
            Assert.That(r.Reward, Is.EqualTo(e.R), $"reward at step {i + 1}");
            Assert.That(r.Terminated, Is.EqualTo(e.T), $"terminal at step {i + 1}");
            if (i == 10)
            {
                Assert.That(env.Brick(3, 8), Is.False);
                Assert.That(env.BrickCount(), Is.EqualTo(29));
                Assert.That(obs[(2 * 10 + 4) * 10 + 9], Is.EqualTo(1f), "trail at the previous cell (4, 9)");
            }
        }
    }

    [Test]
    public void BreakoutSidewaysBounceWhenThePaddleIsUnderTheNewColumn()
    {
        var env = BreakoutStartingLeft();
        int[] actions = [Right, Noop, Noop, Noop, Noop, Noop, Noop, Noop, Noop, Noop, Noop, Noop, Left, Left, Noop];
        foreach (var a in actions) env.Step(a);
        Assert.That((env.BallY, env.BallX, env.Paddle), Is.EqualTo((8, 4, 3)));
        var (_, r) = env.Step(Noop);
        // Ball moving down-left from column 4 to 3 with the paddle at 3: reflected to up-right, back on row 8.
        Assert.That(r.Terminated, Is.False);
        Assert.That((env.BallY, env.BallX, env.BallDirection), Is.EqualTo((8, 3, 1)));
    }

    [Test]
    public void SpaceInvadersShootKillEnemyFireAndDeath()
    {
        var env = new MinAtarSpaceInvaders(stickyActionProbability: 0);
        var obs = env.Reset(0);
        Assert.That(env.ObservationShape, Is.EqualTo(new[] { 6, 10, 10 }));
        Assert.That(obs.Skip(100).Take(100).Sum(), Is.EqualTo(24f), "24 aliens");
        Assert.That(obs.Skip(200).Take(100).Sum(), Is.EqualTo(24f), "moving left");
        Assert.That(obs.Skip(300).Take(100).Sum(), Is.EqualTo(0f));
        double total = 0;
        for (int step = 1; step <= 18; step++)
        {
            var (o, r) = env.Step(step == 1 ? Fire : Noop);
            total += r.Reward;
            if (step == 1) Assert.That(env.FriendlyBullet(8, 5), Is.True, "the shot moves up one row in its own step");
            if (step < 6) Assert.That(env.FriendlyBullet(9 - step, 5), Is.True, $"bullet at row {9 - step} after step {step}");
            if (step == 6)
            {
                Assert.That(r.Reward, Is.EqualTo(1), "the bullet meets the alien at (3, 5) in step 6");
                Assert.That(env.Alien(3, 5), Is.False);
                Assert.That(env.FriendlyBullet(3, 5), Is.False);
            }
            if (step == 11) Assert.That(env.EnemyBullet(2, 5), Is.True, "step 11: the lowest alien of column 5 fires");
            if (step == 12) Assert.That(env.Alien(0, 7), Is.True);
            if (step == 13)
            {
                Assert.That(env.Alien(0, 1) && !env.Alien(0, 7), Is.True, "step 13: the aliens move one column left");
                Assert.That(env.AlienMoveTimer, Is.EqualTo(11), "timer = min(23 aliens, 12) - 1");
            }
            if (step > 11 && step < 18) Assert.That(env.EnemyBullet(2 + step - 11, 5), Is.True);
            Assert.That(r.Terminated, Is.EqualTo(step == 18), $"step {step}");
            if (step == 18) Assert.That(o[(5 * 10 + 9) * 10 + 5], Is.EqualTo(1f), "enemy bullet on the cannon");
        }
        Assert.That(total, Is.EqualTo(1));
    }

    [Test]
    public void SpaceInvadersAliensReverseAndDropAtTheEdge()
    {
        var env = new MinAtarSpaceInvaders(stickyActionProbability: 0);
        env.Reset(0);
        // Move the cannon right, out of the firing line; the block (cols 2-7) moves left every 12 steps: after
        // moves at steps 13 and 25 it touches column 0; the move at step 37 reverses and drops it one row.
        for (int step = 1; step <= 37; step++)
        {
            env.Step(step <= 4 ? Right : Noop);
            if (step == 25) Assert.That(env.Alien(0, 0) && env.Alien(3, 5), Is.True);
        }
        Assert.That(env.AlienDirection, Is.EqualTo(1));
        Assert.That(env.Alien(0, 0), Is.False, "dropped a row");
        Assert.That(env.Alien(1, 0) && env.Alien(4, 5), Is.True);
    }

    [Test]
    public void StickyActionsRepeatThePreviousActionTenPercentOfTheTime()
    {
        // Breakout, paddle only: always ask for the opposite of the last executed move; a sticky step repeats
        // the previous EXECUTED action, so it shows as two moves in the same direction. With p = 0.1 and n = 4000 steps the observed rate has
        // standard deviation sqrt(0.09 / 4000) = 0.0047; allow 4.5 sigma (0.021).
        var env = new MinAtarBreakout(stickyActionProbability: 0.1);
        int sticky = 0, n = 0, episodes = 0;
        env.Reset(123);
        int lastMove = 0;
        while (n < 4000)
        {
            int intended = lastMove < 0 ? Right : Left; // the opposite of the last executed move
            int before = env.Paddle;
            var (_, r) = env.Step(intended);
            int move = env.Paddle - before;
            // Count only steps where both moves are observable (paddle away from the walls).
            if (before > 0 && before < 9 && move != 0 && lastMove != 0)
            {
                bool expectedMove = move == (intended == Left ? -1 : 1);
                if (!expectedMove) sticky++;
                n++;
            }
            lastMove = move;
            if (r.Done) { env.Reset(); episodes++; lastMove = 0; }
        }
        Assert.That((double)sticky / n, Is.EqualTo(0.1).Within(0.021), $"{episodes} episodes");
    }
}
