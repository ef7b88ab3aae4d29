import { describe, expect, it } from 'vitest';
import {
  asksForPerson,
  KnowledgeIndex,
  smallTalkOf,
  termsOf,
  type KnowledgeItem,
} from '../../src/domain/robot/matcher.js';

const entry = (id: string, questions: string[], answer = `answer ${id}`): KnowledgeItem => ({
  source: 'faq',
  id,
  questions,
  answer,
  imageFileId: null,
});

const knowledge = new KnowledgeIndex([
  entry('refund', ['怎么申请退款', '退款多久到账', 'How do I get a refund?', 'refund status']),
  entry('return-shipping', ['退货运费谁出', '退货要自己付运费吗', 'Who pays for return shipping?']),
  entry('invoice', ['发票怎么开', '可以开增值税专用发票吗', 'Can I get an invoice?']),
  entry('password', ['忘记密码怎么办', '怎么重置密码', 'How do I reset my password?']),
  entry('delivery', ['什么时候发货', '订单多久能到', 'When will my order ship?', 'delivery time']),
  entry('delivery-abroad', ['可以寄到国外吗', 'Do you ship internationally?']),
]);

describe('the robot matcher', () => {
  it('answers Chinese questions phrased differently from the stored ones', () => {
    for (const [text, id] of [
      ['请问怎么退款？', 'refund'],
      ['退款要多久才能到账', 'refund'],
      ['退货的运费谁来出', 'return-shipping'],
      ['我想开发票', 'invoice'],
      ['密码忘记了怎么办', 'password'],
      ['我的订单什么时候发货', 'delivery'],
    ] as const) {
      const decision = knowledge.decide(text);
      expect(decision.outcome, text).toBe('answer');
      expect(decision.answer?.item.id, text).toBe(id);
    }
  });

  it('answers English questions phrased differently, plurals and case aside', () => {
    for (const [text, id] of [
      ['how can I get my REFUND', 'refund'],
      ['I forgot my password, how to reset it?', 'password'],
      ['who pays return shipping', 'return-shipping'],
      ['Can you send me an invoice', 'invoice'],
      ['do you ship to other countries internationally', 'delivery-abroad'],
    ] as const) {
      const decision = knowledge.decide(text);
      expect(decision.outcome, text).toBe('answer');
      expect(decision.answer?.item.id, text).toBe(id);
    }
  });

  it('offers "did you mean" choices, at most three, when a text is close to several', () => {
    const decision = knowledge.decide('多久');
    expect(decision.outcome).toBe('choices');
    expect(decision.choices.length).toBeLessThanOrEqual(3);
    expect(decision.choices.map((c) => c.item.id)).toEqual(
      expect.arrayContaining(['refund', 'delivery']),
    );

    const ship = knowledge.decide('ship');
    expect(ship.outcome).toBe('choices');
    expect(ship.choices.map((c) => c.item.id).sort()).toEqual(
      expect.arrayContaining(['delivery', 'delivery-abroad']),
    );
  });

  it('hands over when nothing is close, in either language', () => {
    expect(knowledge.decide('你们老板叫什么名字').outcome).toBe('handoff');
    expect(knowledge.decide('What is the weather like on Mars?').outcome).toBe('handoff');
    expect(knowledge.decide('我想问一下你们公司在哪里').outcome).toBe('handoff');
    expect(knowledge.decide('？？？').outcome).toBe('handoff');
  });

  it('answers an exact phrasing with full confidence, as a picked choice sends it', () => {
    const decision = knowledge.decide('Who pays for return shipping?');
    expect(decision.answer?.item.id).toBe('return-shipping');
    expect(decision.answer?.score).toBe(1);
    expect(knowledge.find('invoice')?.id).toBe('invoice');
    expect(knowledge.find('nope')).toBeUndefined();
  });

  it('makes Chinese terms from word pairs, so a different cut still meets', () => {
    expect([...termsOf('退货运费').keys()]).toEqual(
      expect.arrayContaining(['退货', '货运', '运费', '退', '费']),
    );
    expect([...termsOf('Refunds, please!').keys()]).toEqual(['refund']);
    expect([...termsOf('shipping').keys()]).toEqual(['ship']);
  });

  it('tells a greeting or thanks alone from a question that starts with one', () => {
    for (const text of ['你好', '您好！', '在吗？', 'Hi', 'hello there', 'Good morning!']) {
      expect(smallTalkOf(text), text).toBe('greeting');
    }
    for (const text of ['谢谢', '好的，谢谢', 'Thanks!', 'thank you']) {
      expect(smallTalkOf(text), text).toBe('thanks');
    }
    for (const text of ['你好，我想退款', 'hi, how do I get a refund?', '谢谢你们的发票', '']) {
      expect(smallTalkOf(text), text).toBeNull();
    }
  });

  it('knows when a visitor asks for a person, and when they talk about AI', () => {
    for (const text of [
      '转人工',
      '人工',
      '我要人工客服',
      'Talk to a person',
      'can I speak with a human?',
      'agent',
      'real person please',
    ]) {
      expect(asksForPerson(text), text).toBe(true);
    }
    for (const text of [
      '人工智能是什么',
      'How do I get a refund?',
      '退款',
      'my agent code is 42',
    ]) {
      expect(asksForPerson(text), text).toBe(false);
    }
  });
});
